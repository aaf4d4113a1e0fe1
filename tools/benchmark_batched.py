#!/usr/bin/env python
"""Batched per-image optimisation against one image at a time (and, with --tool, the tools'
batch sizes and precisions on real images): see :mod:`dynaseg.benchmarks.batched_command`.

    python tools/benchmark_batched.py --help
"""

from __future__ import annotations

from dynaseg.benchmarks.batched_command import main

if __name__ == '__main__':
    main()
