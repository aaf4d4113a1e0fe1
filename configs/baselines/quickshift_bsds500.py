# Baseline: Quickshift mode seeking (skimage.segmentation.quickshift).
# Same dataset, evaluator and tools as the DynaSeg configs; parameters chosen on BSDS500 val with
# tools/tune.py (docs/log/tuning_baselines_quickshift.md).
_base_ = [
    '../_base_/models/classical.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='QuickshiftSegmentor',
    ratio=1.0,
    kernel_size=5.0,
    max_dist=10.0,
    sigma=0.0,
    seed=0,
)
