#!/usr/bin/env python
"""Held-out piecewise-constant pictures: does a config find the 3-5 regions a user sees? See
:mod:`dynaseg.reports.piecewise`.

Flags and behaviour: :mod:`dynaseg.cli.piecewise_check` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.piecewise_check import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.piecewise_check import main

if __name__ == '__main__':
    sys.exit(main())
