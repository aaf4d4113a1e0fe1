"""Segment every image of any config's dataset (BSDS500, VOC2012, COCO-Stuff-27) and score it.

    python tools/evaluate_config.py --config configs/dynaseg/dynaseg-fsf_cnn-m2_fast_voc2012.py \\
        --data-root /path/to/voc2012 [--work-dir DIR] [--cfg-options k=v ...] \\
        [--launcher none|pytorch|slurm] [--device cpu|cuda] [--overwrite] [--limit N]

The metrics are the config's ``evaluator`` list. See :mod:`dynaseg.apis.dataset_runner`.
"""

from __future__ import annotations

import sys

from dynaseg.cli import dataset_main

if __name__ == '__main__':
    sys.exit(
        dataset_main(
            description="Segment every image of a config's dataset and score it "
            "with the config's evaluator."
        )
    )
