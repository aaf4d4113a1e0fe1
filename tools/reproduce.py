#!/usr/bin/env python
"""Run a report's configs and write the report from their results: see
:mod:`dynaseg.reports` (the report specs are ``configs/reports/*.py``).

Flags and behaviour: :mod:`dynaseg.cli.reproduce` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.reproduce import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.reproduce import main

if __name__ == '__main__':
    sys.exit(main())
