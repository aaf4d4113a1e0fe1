"""Segment every image of any config's dataset (BSDS500, VOC2012, COCO-Stuff-27) and score it.

    python tools/evaluate_config.py --config dynaseg-fsf_cnn-m2_fast_voc2012 \\
        [--data-root DATA] [--work-dir DIR] [--images N | --image-ids ID ...] \\
        [--seed S --num-segments K ...] [--cfg-options k=v ...] \\
        [--launcher none|pytorch|slurm] [--device cpu|cuda] [--overwrite]

Installed as ``dynaseg-evaluate`` (the same flags). ``--config`` takes a file or a config name
(``--list-configs``); ``--data-root`` is the folder holding ``bsds500/``, ``voc2012/`` and
``cocostuff/`` (default ``data/``). The metrics are the config's ``evaluator`` list. See
:mod:`dynaseg.apis.dataset_runner`.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from dynaseg.cli import evaluate_main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli import evaluate_main

if __name__ == '__main__':
    sys.exit(evaluate_main())
