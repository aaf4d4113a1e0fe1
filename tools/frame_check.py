#!/usr/bin/env python
"""Does a folder of label maps have a border frame? Outer-line change rates against interior ones.

Flags and behaviour: :mod:`dynaseg.cli.frame_check` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.frame_check import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.frame_check import main

if __name__ == '__main__':
    sys.exit(main())
