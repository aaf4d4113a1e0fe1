#!/usr/bin/env python
"""Kim et al.'s best-match segment mIoU of a folder of label maps (BSDS500 or PASCAL VOC 2012).

Usage (installed as ``dynaseg-miou``, the same flags):
    python tools/calculate_mIOU.py --results-dir OUT --ground-truth-dir GT \
        [--dataset bsds500|voc2012] [--mode 1|2|3] [--resize-images] [--no-relabel] \
        [--allow-missing]

The authors' spellings stay accepted (--results_dir, --ground_truth_dir, --resize_images,
--dataset bsd500|voc).

The last line printed is ``Average mIOU: <value>``. Exit code 0 on success, 1 when a
prediction or ground-truth file has no counterpart (unless --allow-missing), 2 on bad input.

The whole BSDS500 benchmark (boundary F at ODS / OIS and AP, covering, PRI and VOI at ODS / OIS)
of hierarchies (ucm2), segmentation sets or label maps, against ``<id>.mat`` ground truth:
    python tools/calculate_mIOU.py --bsds-bench --results-dir OUT --ground-truth-dir GT \
        [--bsds-input auto|ucm2|segs|label-map|boundary-map] [--thresholds 99] \
        [--bench-parts boundary region] [--connectivity 8|4] [--workers N] [--bench-out DIR]
It prints a table (docs/metrics.md) and, with --bench-out, saves one JSON record per image.

Flags and behaviour: :mod:`dynaseg.cli.miou` (``--help``).
"""

import sys
from pathlib import Path

try:
    from dynaseg.cli.miou import main
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.cli.miou import main

if __name__ == '__main__':
    sys.exit(main())
