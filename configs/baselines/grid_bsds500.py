# Baseline: A 20 x 20 grid of blocks: the floor a segment count alone earns (1 x 1 is the blank).
# Same dataset, evaluator and tools as the DynaSeg configs; not tuned: a floor
# (docs/results/baselines.md).
_base_ = [
    '../_base_/models/classical.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='GridSegmentor',
    rows=20,
    cols=20,
    seed=0,
)
