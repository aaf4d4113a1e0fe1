"""Segment a folder of images with DynaSeg (the authors' BSD/VOC script name and flags).

Usage:
    python tools/DynaSeg_SCF_BSD_VOC.py --input_folder IMAGES --output_folder OUT \
        [--config FILE] [--weighting scf|fsf|fixed] [--mu X] [--nChannel 100] [--maxIter 1000] \
        [--minLabels 3] [--lr 0.1] [--nConv 2] [--visualize 0|1] [--save-csv] [--overwrite] \
        [--launcher none|pytorch|slurm] [--threads N] [--cfg-options key=value ...]

Run with --help for every flag; the work is done by dynaseg.apis.segment_folder.
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli import segment_main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli import segment_main

if __name__ == '__main__':
    sys.exit(segment_main())
