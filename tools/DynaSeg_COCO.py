"""Segment and score COCO-Stuff-27 (curated val2017) with a DynaSeg config, resumably.

    python tools/DynaSeg_COCO.py --config configs/dynaseg/dynaseg-fsf_cnn-m3_fast_coco-stuff27.py \\
        --data-root /path/to/cocostuff [--work-dir DIR] [--cfg-options k=v ...] \\
        [--launcher none|pytorch|slurm] [--device cpu|cuda] [--overwrite] [--limit N]

Every image gets one final prediction; the three matching protocols (a: dataset-level,
b: per-image, c: per-image summed) are reported separately with All / thing / stuff mIoU and
the number of images scored. Under torchrun, images are split between processes and rank 0
scores them. See :mod:`dynaseg.apis.dataset_runner` for the outputs and
:func:`dynaseg.cli.dataset_main` for the flags.
"""

from __future__ import annotations

import sys

from dynaseg.apis.inference import REPO_ROOT
from dynaseg.cli import dataset_main

DEFAULT_CONFIG = REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-fsf_cnn-m3_fast_coco-stuff27.py'

if __name__ == '__main__':
    sys.exit(
        dataset_main(
            description='DynaSeg on COCO-Stuff-27: segment every curated image, '
            'then score protocols (a), (b) and (c).',
            default_config=str(DEFAULT_CONFIG),
        )
    )
