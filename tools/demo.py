#!/usr/bin/env python
"""Segment a few sample photos bundled with scikit-image and draw a comparison figure.

Flags and behaviour: :mod:`dynaseg.cli.demo` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.demo import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.demo import main

if __name__ == '__main__':
    sys.exit(main())
