#!/usr/bin/env python
"""The classical rows of the hierarchy benchmark (dynaseg/hierarchy/baselines.py).

Flags and behaviour: :mod:`dynaseg.cli.hierarchy_baselines` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.hierarchy_baselines import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.hierarchy_baselines import main

if __name__ == '__main__':
    sys.exit(main())
