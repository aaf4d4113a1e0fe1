#!/usr/bin/env python
"""Restamp every generated page: the line under its title naming the config it was generated for
and whether that is still the default (:mod:`dynaseg.reports.stamp`).

Flags and behaviour: :mod:`dynaseg.cli.stamp_docs` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.stamp_docs import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.stamp_docs import main

if __name__ == '__main__':
    sys.exit(main())
