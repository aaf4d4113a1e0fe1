#!/usr/bin/env python
"""DynaSeg's engine against a plain mirror of the authors' loop: per-iteration time,
time to result, memory, agreement: see :mod:`dynaseg.benchmarks`.

    python tools/benchmark.py --help
"""

from __future__ import annotations

from dynaseg.benchmarks.command import main

if __name__ == '__main__':
    main()
