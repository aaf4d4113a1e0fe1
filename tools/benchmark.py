#!/usr/bin/env python
"""DynaSeg's engine against a plain mirror of the authors' loop: per-iteration time,
time to result, memory, agreement: see :mod:`dynaseg.benchmarks`.

Flags and behaviour: :mod:`dynaseg.cli.benchmark` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.benchmark import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.benchmark import main

if __name__ == '__main__':
    sys.exit(main())
