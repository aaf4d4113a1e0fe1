"""What a long run prints: names of any bytes on one printable line."""

from __future__ import annotations

import os

from dynaseg.apis.runtime import one_line, printable
from dynaseg.utils.image_io import ImageReadError


def test_printable_escapes_bytes_that_are_not_utf8_and_control_characters():
    assert printable(os.fsdecode(b'caf\xe9.jpg')) == 'caf\\xe9.jpg'
    assert printable('two\nlines\t.png') == 'two\\nlines\\t.png'
    assert printable('café 日本.png') == 'café 日本.png'  # printable text is kept
    assert printable('\ud800') == '\\ud800'  # a surrogate no file system gave


def test_one_line_reasons_are_printable():
    name = os.fsdecode(b'bad\xe9.jpg')
    assert one_line(ImageReadError(name, 'empty file (0 bytes)')) == 'empty file (0 bytes)'
    assert one_line(OSError(f'cannot open {name}')) == 'OSError: cannot open bad\\xe9.jpg'
    assert one_line(ValueError()) == 'ValueError'
