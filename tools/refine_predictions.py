#!/usr/bin/env python
"""Make the run of a refined config from a finished run of the same model without refiners.

Flags and behaviour: :mod:`dynaseg.cli.refine_predictions` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.refine_predictions import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.refine_predictions import main

if __name__ == '__main__':
    sys.exit(main())
