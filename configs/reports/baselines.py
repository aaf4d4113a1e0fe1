# DynaSeg beside the classical segmenters on all BSDS500 test images (docs/results/baselines.md).
# The first run is the DynaSeg the others are compared with (paired intervals): the default (quick
# schedule, patience 10), and the same with seeds 1 and 2 (the spread over seeds); then the same
# at patience 20 and on the fast schedule, which it replaced, and before the FH refiners; Kim et
# al.'s fixed weight with the same levers, refiners and schedule; k-means and FH followed by the
# default's FH refiners (the default without its optimisation); and the baselines
# (configs/baselines/) with the parameters chosen on the first 50 BSDS500 val images
# (docs/log/tuning_baselines_*.md): Felzenszwalb-Huttenlocher once per criterion it was chosen for
# (mean of all/fine/coarse, which is also all; fine; coarse; PRI; covering; VOI), SLIC, k-means and
# quickshift by the mean, and the grid and blank floors. A run with `refined_from` is made from
# that run's label maps by tools/refine_predictions.py, so one command makes every row:
# `python tools/reproduce.py --report baselines` (`--table-only`: from the committed results).
title = 'The default beside the classical segmenters, BSDS500 test'
kind = 'default'
output = 'docs/results/baselines.md'
images = 0  # all 200 test images
bootstrap = 1000
machine = (
    '2-core x86 CPU (AMD EPYC), torch 2.13.0+cpu; the DynaSeg rows ran as 2 processes of 1 thread '
    'beside other jobs, so their s/image is inflated (idle end-to-end times: docs/log/speed.md); '
    "a refined row's s/image is its source's plus the refiners'"
)
fh = 'configs/baselines/felzenszwalb_bsds500.py'  # scale 300, sigma 0.5, min_size 30
# 8 clusters on colour alone; the option (the config's own value) keeps the run's committed name.
kmeans = 'configs/baselines/kmeans_bsds500.py'
default = 'configs/dynaseg/dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py'
runs = [
    dict(config=default),
    dict(config=default, options=['model.seed=1']),
    dict(config=default, options=['model.seed=2']),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_quick-p20_bsds500_replicate-edge-fh.py'),
    dict(
        config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge-fh.py',
        refined_from='dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge',
    ),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge.py'),
    dict(config='configs/kim/kim-fixed_cnn-m2_quick_bsds500_replicate-edge-fh.py'),
    dict(
        config='configs/baselines/kmeans_bsds500_fh-refined.py',
        refined_from='kmeans_bsds500_position-weight0.0',
    ),
    dict(
        config='configs/baselines/felzenszwalb_bsds500_fh-refined.py',
        refined_from='felzenszwalb_bsds500',
    ),
    dict(config=fh),
    dict(config=fh, options=['model.scale=150.0']),
    dict(config=fh, options=['model.scale=600.0']),
    dict(config=fh, options=['model.scale=600.0', 'model.min_size=100']),
    dict(config=fh, options=['model.scale=1000.0', 'model.min_size=100']),
    dict(config=fh, options=['model.scale=1000.0', 'model.sigma=0.8', 'model.min_size=100']),
    dict(config='configs/baselines/slic_bsds500.py'),
    dict(config=kmeans, options=['model.position_weight=0.0']),
    dict(config='configs/baselines/quickshift_bsds500.py'),
    dict(config='configs/baselines/grid_bsds500.py'),
    dict(config='configs/baselines/grid_bsds500.py', options=['model.rows=1', 'model.cols=1']),
]
