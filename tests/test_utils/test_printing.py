"""dynaseg.utils.printing: names of any bytes on one printable line."""

from __future__ import annotations

import os

from dynaseg.utils.printing import printable


def test_printable_escapes_bytes_that_are_not_utf8_and_control_characters():
    assert printable(os.fsdecode(b'caf\xe9.jpg')) == 'caf\\xe9.jpg'
    assert printable('two\nlines\t.png') == 'two\\nlines\\t.png'
    assert printable('café 日本.png') == 'café 日本.png'  # printable text is kept
    assert printable('\ud800') == '\\ud800'  # a surrogate no file system gave
