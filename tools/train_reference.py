#!/usr/bin/env python
"""Train DynaSeg's reference-image mode: one network over a folder of images.

Usage:
    python tools/train_reference.py --config dynaseg-scf_cnn-m2_reference_bsds500 \
        --train-folder data/bsds500/images/train --out work_dirs/reference/bsds500.pth \
        [--iters 1000] [--max-pixels 40000] [--images N] [--device cpu|cuda] [--threads N] \
        [--cfg-options key=value ...]

The checkpoint is a plain state_dict of the config's backbone
(``torch.load(..., weights_only=True)`` reads it). Segment new images with one forward pass each:
    python tools/DynaSeg_SCF_BSD_VOC.py --config <same config> --reference-checkpoint <out> \
        --input-folder IMAGES --work-dir OUT

Flags and behaviour: :mod:`dynaseg.cli.train_reference` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.train_reference import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.train_reference import main

if __name__ == '__main__':
    sys.exit(main())
