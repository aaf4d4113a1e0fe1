import math
import mmap
import subprocess
import sys

import numpy as np
import pytest

from dynaseg.utils.profiling import current_rss_bytes, median, peak_rss_bytes

linux_only = pytest.mark.skipif(
    not sys.platform.startswith('linux'), reason='reads /proc/self/status (Linux)'
)
MB = 2**20


def touch_fresh_pages(nbytes: int) -> mmap.mmap:
    """An anonymous mapping with every page written: resident whatever malloc keeps cached
    (the engine's allocator tuning, applied earlier in the test process, makes freed heap
    memory reusable without new pages)."""
    block = mmap.mmap(-1, nbytes)
    view = np.frombuffer(block, dtype=np.uint8)
    view[::4096] = 1
    del view  # the mapping cannot be closed while a view exports it
    return block


@linux_only
def test_peak_rss_sees_an_allocation_and_never_goes_down():
    before = current_rss_bytes()
    block = touch_fresh_pages(64 * MB)
    now = current_rss_bytes()
    assert now - before >= 48 * MB
    peak = peak_rss_bytes()
    assert peak >= now
    block.close()
    # The kernel's RSS counters are cached per thread, so reads can lag by a few hundred KB.
    assert peak_rss_bytes() >= peak - 4 * MB


@linux_only
def test_peak_rss_of_a_child_excludes_the_parent_memory():
    # Linux carries ru_maxrss across execve: a child of a large parent reports at least
    # the parent's size there. The benchmark's memory part measures in such children.
    ballast = np.ones(400 * MB, dtype=np.uint8)
    code = (
        'import resource\n'
        'from dynaseg.utils.profiling import peak_rss_bytes\n'
        'print(peak_rss_bytes(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n'
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    child_peak, child_ru_maxrss = map(int, out.stdout.split())
    assert ballast.sum() == ballast.nbytes
    assert child_ru_maxrss >= 400 * MB  # what the benchmark used to report
    assert child_peak < 200 * MB  # the child's own peak: an interpreter and one module


def test_median_of_nothing_is_nan():
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert math.isnan(median([]))
