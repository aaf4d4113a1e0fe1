"""Measuring time and memory honestly on a noisy machine: medians and a resident-memory sampler."""

from __future__ import annotations

import resource
import statistics
import sys
import threading
import time
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


class PeakRSS:
    """Context manager sampling RSS in a thread; ``peak`` is the maximum seen inside the block.

    ``ru_maxrss`` is a per-process high-water mark that never goes down, so it cannot
    tell two runs in one process apart; sampling can (to within the sampling period).
    """

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, current_rss_bytes())
            time.sleep(self.period)

    def __enter__(self) -> PeakRSS:
        self.peak = current_rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, current_rss_bytes())


def median(values: list[float]) -> float:
    """Median, NaN for an empty list (a run that was skipped)."""
    return statistics.median(values) if values else float('nan')
