#!/usr/bin/env python
"""Soak test of workers sharing one folder: many tiny images, hard kills, then a resume; see
:mod:`dynaseg.reports.soak`.

Flags and behaviour: :mod:`dynaseg.cli.soak_folder` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.soak_folder import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.soak_folder import main

if __name__ == '__main__':
    sys.exit(main())
