# Baseline: Felzenszwalb-Huttenlocher graph segmentation (skimage.segmentation.felzenszwalb).
# Same dataset, evaluator and tools as the DynaSeg configs; parameters chosen on BSDS500 val with
# tools/tune.py (docs/log/tuning_baselines_felzenszwalb.md).
_base_ = [
    '../_base_/models/classical.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='FelzenszwalbSegmentor',
    scale=300.0,
    sigma=0.5,
    min_size=30,
    seed=0,
)
