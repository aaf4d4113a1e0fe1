#!/usr/bin/env python
"""Segment and score COCO-Stuff-27 (curated val2017) with a DynaSeg config, resumably.

    python tools/DynaSeg_COCO.py [--config dynaseg-fsf_cnn-m3_fast_coco-stuff27] \\
        [--data-root DATA] [--split val2017] [--work-dir DIR] [--images N | --image-ids ID ...] \\
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm] [--device cpu|cuda] [--overwrite]

``--data-root`` is the folder holding ``cocostuff/`` (default ``data/``, or
``$DYNASEG_DATA_ROOT``). Every image gets one final prediction; the three matching protocols
(a: dataset-level, b: per-image, c: per-image summed) are reported separately with All / thing /
stuff mIoU and the images scored; images in the folder that the curated list leaves out are
named, not scored. Under torchrun, images are split between processes
and rank 0 scores them. See :mod:`dynaseg.apis.dataset_runner` for the outputs.

Flags and behaviour: :mod:`dynaseg.cli.coco` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.coco import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.coco import main

if __name__ == '__main__':
    sys.exit(main())
