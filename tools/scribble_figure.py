#!/usr/bin/env python
"""Figure for the README: image | scribbles | DynaSeg without | with scribble guidance.

Flags and behaviour: :mod:`dynaseg.cli.scribble_figure` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.scribble_figure import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.scribble_figure import main

if __name__ == '__main__':
    sys.exit(main())
