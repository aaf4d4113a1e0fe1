#!/usr/bin/env python
"""Batched per-image optimisation against one image at a time (and, with --tool, the tools'
batch sizes and precisions on real images): see :mod:`dynaseg.reports.benchmark_batched`.

    python tools/benchmark_batched.py --help
"""

from __future__ import annotations

from dynaseg.reports.benchmark_batched import main

if __name__ == '__main__':
    main()
