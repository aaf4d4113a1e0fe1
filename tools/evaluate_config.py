#!/usr/bin/env python
"""Segment every image of any config's dataset (BSDS500, VOC2012, COCO-Stuff-27) and score it.

    python tools/evaluate_config.py [--config dynaseg-fsf_cnn-m2_fast_voc2012] \\
        [--data-root DATA] [--split val] [--work-dir DIR] [--images N | --image-ids ID ...] \\
        [--seed S --num-segments K ...] [--cfg-options k=v ...] \\
        [--launcher none|pytorch|slurm] [--device cpu|cuda] [--overwrite]

Installed as ``dynaseg-evaluate`` (the same flags). ``--config`` takes a file or a config name
(``--list-configs``; default: the default config, on BSDS500 test); ``--data-root`` is the folder
holding ``bsds500/``, ``voc2012/`` and ``cocostuff/`` (default ``$DYNASEG_DATA_ROOT``, else
``data/``); ``--split`` picks the dataset's split. The metrics are the config's ``evaluator``
list; the run prints (and ``eval_results.json`` keeps) the split, the images scored and each
metric's protocol. See :mod:`dynaseg.apis.dataset_runner`.

Flags and behaviour: :mod:`dynaseg.cli.evaluate` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.evaluate import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.evaluate import main

if __name__ == '__main__':
    sys.exit(main())
