# Baseline: SLIC superpixels (skimage.segmentation.slic).
# Same dataset, evaluator and tools as the DynaSeg configs; parameters chosen on BSDS500 val with
# tools/tune.py (docs/log/tuning_baselines_slic.md).
_base_ = [
    '../_base_/models/classical.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='SLICSegmentor',
    n_segments=400,
    compactness=10.0,
    sigma=0.0,
    seed=0,
)
