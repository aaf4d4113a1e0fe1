"""What a long run prints: a failed image's reason on one printable line."""

from __future__ import annotations

import os

from dynaseg.apis.runtime import one_line
from dynaseg.utils.image_io import ImageReadError


def test_one_line_reasons_are_printable():
    name = os.fsdecode(b'bad\xe9.jpg')
    assert one_line(ImageReadError(name, 'empty file (0 bytes)')) == 'empty file (0 bytes)'
    assert one_line(OSError(f'cannot open {name}')) == 'OSError: cannot open bad\\xe9.jpg'
    assert one_line(ValueError()) == 'ValueError'
