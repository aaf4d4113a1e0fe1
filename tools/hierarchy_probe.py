#!/usr/bin/env python
"""Choose a hierarchy's merge criterion on val without optimising once per candidate.

Flags and behaviour: :mod:`dynaseg.cli.hierarchy_probe` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.hierarchy_probe import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.hierarchy_probe import main

if __name__ == '__main__':
    sys.exit(main())
