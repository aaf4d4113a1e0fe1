#!/usr/bin/env python
"""Grid or random search over config keys on a train/val subset; one table row per setting.

Flags and behaviour: :mod:`dynaseg.cli.tune` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.tune import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.tune import main

if __name__ == '__main__':
    sys.exit(main())
