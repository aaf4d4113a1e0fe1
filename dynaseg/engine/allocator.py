"""Keep freed memory in the process instead of returning it to the OS every iteration.

Per-image optimisation allocates and frees the same few large activation buffers
every iteration. glibc serves blocks above its mmap threshold with fresh mmap()s
and unmaps them on free, so each iteration page-faults hundreds of MB back in:
measured here as half of the authors' loop's wall time (system time). Disabling
mmap for the heap and raising the trim threshold makes freed buffers reusable.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
# glibc's defaults, restored by restore_default_malloc().
_DEFAULT_MMAP_MAX = 65536
_DEFAULT_TRIM_THRESHOLD = 128 * 1024
_applied = False


def _mallopt():
    name = ctypes.util.find_library('c')
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return None


def keep_freed_memory() -> bool:
    """Tune glibc's malloc once per process; returns whether the tuning is in effect.

    A no-op (False) off glibc, or when ``DYNASEG_NO_MALLOC_TUNING=1`` is set.
    """
    global _applied
    if _applied:
        return True
    if os.environ.get('DYNASEG_NO_MALLOC_TUNING') == '1':
        return False
    mallopt = _mallopt()
    if mallopt is None:
        return False
    ok = mallopt(_M_MMAP_MAX, 0) == 1 and mallopt(_M_TRIM_THRESHOLD, 2**30) == 1
    _applied = ok
    return ok


def restore_default_malloc() -> None:
    """Undo :func:`keep_freed_memory` (the benchmark's authors' loop runs untuned)."""
    global _applied
    mallopt = _mallopt()
    if mallopt is not None:
        mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
        mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
    _applied = False
