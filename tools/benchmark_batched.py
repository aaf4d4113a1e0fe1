#!/usr/bin/env python
"""Batched per-image optimisation against one image at a time (and, with --tool, the tools'
batch sizes and precisions on real images): see :mod:`dynaseg.benchmarks.batched`.

Flags and behaviour: :mod:`dynaseg.cli.benchmark_batched` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.benchmark_batched import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.benchmark_batched import main

if __name__ == '__main__':
    sys.exit(main())
