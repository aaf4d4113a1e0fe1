#!/usr/bin/env python
"""Render docs/results/hierarchy.md from committed records (dynaseg/reports/hierarchy.py).

Flags and behaviour: :mod:`dynaseg.cli.hierarchy_report` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.hierarchy_report import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.hierarchy_report import main

if __name__ == '__main__':
    sys.exit(main())
