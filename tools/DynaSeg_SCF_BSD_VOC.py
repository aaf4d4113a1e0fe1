#!/usr/bin/env python
"""Segment a folder of images with DynaSeg (the authors' BSD/VOC script name and flags).

Usage (installed as ``dynaseg-segment``, the same flags):
    python tools/DynaSeg_SCF_BSD_VOC.py --input-folder IMAGES --work-dir OUT \
        [--config FILE|NAME] [--weighting scf|fsf|fixed] [--mu X] [--channels 100] \
        [--max-iters 1000] [--min-labels 3] [--num-segments K] [--lr 0.1] [--num-convs 2] \
        [--visualize 0|1] [--save-csv] [--overwrite] [--launcher none|pytorch|slurm] \
        [--threads N] [--cfg-options key=value ...]

The authors' spellings stay accepted: --input_folder, --output_folder (= --work-dir),
--nChannel, --maxIter, --minLabels, --nConv. Run with --help for every flag; the work is done
by dynaseg.apis.segment_folder.

Exit codes: 0 every image done, 1 some failed, 2 bad arguments or folders (before any work),
3 stopped at a repeating output write error, 4 images left to live claims of other workers,
130/143 interrupted.

Flags and behaviour: :mod:`dynaseg.cli.segment` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.segment import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.segment import main

if __name__ == '__main__':
    sys.exit(main())
