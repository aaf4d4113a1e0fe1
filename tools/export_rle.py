#!/usr/bin/env python
"""Write every label map of a finished output folder as per-region masks in COCO's RLE JSON.

Flags and behaviour: :mod:`dynaseg.cli.export_rle` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.export_rle import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.export_rle import main

if __name__ == '__main__':
    sys.exit(main())
