"""Text safe to print on any stream, on one line: a file name of any bytes, or a line holding one.

A file system hands Python the bytes of a name that are not UTF-8 as lone surrogates, which a
strict stream refuses to encode, and a name may hold a newline. The lines a run prints about its
files (progress, failure reasons, the summary) go through :func:`printable`, so one odd name can
neither stop a run's output nor break a line in two. (Written into JSON, the same names
are escaped by :func:`~dynaseg.utils.fileio.save_json`.)
"""

from __future__ import annotations

__all__ = ['printable']


def printable(text: str) -> str:
    """``text`` (a file name, or a line holding one) safe to print on any stream, on one line:
    bytes that are not UTF-8 are shown as ``\\xNN``, control characters as escapes."""
    try:  # a name the file system gave Python holds its non-UTF-8 bytes as surrogates
        raw = text.encode('utf-8', 'surrogateescape')
    except UnicodeEncodeError:
        raw = text.encode('utf-8', 'backslashreplace')
    shown = raw.decode('utf-8', 'backslashreplace')
    return ''.join(
        char if char.isprintable() else char.encode('unicode_escape').decode('ascii')
        for char in shown
    )
