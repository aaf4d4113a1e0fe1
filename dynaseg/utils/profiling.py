"""Measuring time and memory honestly on a noisy machine: medians and resident memory."""

from __future__ import annotations

import resource
import statistics
import sys
from pathlib import Path


def _proc_status_bytes(field: str) -> int | None:
    """A memory field of ``/proc/self/status`` in bytes; None where there is no /proc."""
    try:
        for line in Path('/proc/self/status').read_text().splitlines():
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def current_rss_bytes() -> int:
    """Resident set size of this process (Linux ``/proc``; 0 where unavailable)."""
    return _proc_status_bytes('VmRSS') or 0


def peak_rss_bytes() -> int:
    """Peak resident set size of this process image (``VmHWM``).

    Not ``getrusage(...).ru_maxrss``: Linux carries that high-water mark across
    ``execve``, so a child started from a large parent reports at least the parent's
    resident size at the moment of the fork, whatever the child itself uses. ``VmHWM``
    belongs to the new address space and starts again at exec.
    """
    peak = _proc_status_bytes('VmHWM')
    if peak is not None:
        return peak
    # No /proc (macOS): ru_maxrss, in bytes there, in KiB on other Unixes.
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == 'darwin' else maxrss * 1024


def median(values: list[float]) -> float:
    """Median, NaN for an empty list (a run that was skipped)."""
    return statistics.median(values) if values else float('nan')
