"""Grid or random search over config keys on a train/val subset; one table row per setting.

    python tools/tune.py --config configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py \\
        --data-root data/bsds500 --split val --images 20 \\
        --grid model.loss.weight.mu=8,15,30 model.schedule.patience=20,40 \\
        --work-dir work_dirs/tune/fsf --table docs/log/tuning.md \\
        [--setting KEY=V ...] [--random N --seed S] [--cfg-options KEY=V ...]
        [--select mean|all|fine|coarse|PRI|VOI|covering] [--title TEXT] [--table-only]
        [--report-test] [--threads N] [--device cpu|cuda] [--launcher none|pytorch|slurm]

The test split is refused unless --report-test (then no best row is picked). Rerunning the same
command resumes. See :mod:`dynaseg.tuning`.
"""

from __future__ import annotations

import sys

from dynaseg.tuning import tune_main

if __name__ == '__main__':
    sys.exit(tune_main())
