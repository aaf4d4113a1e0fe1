# DynaSeg beside the classical segmenters on all BSDS500 test images (docs/results/baselines.md).
# The first run is the DynaSeg the others are compared with (paired intervals): the default (quick
# schedule, patience 10), and the same with seeds 1 and 2 (the spread over seeds); then the same
# at patience 20 and on the fast schedule, which it replaced, and before the FH refiners; Kim et
# al.'s fixed weight with the same levers, refiners and schedule; and the baselines
# (configs/baselines/) with the parameters chosen on the first 50 BSDS500 val images
# (docs/tuning_baselines_*.md): Felzenszwalb-Huttenlocher once per criterion it was chosen for
# (mean of all/fine/coarse, which is also all; fine; coarse; PRI; covering; VOI), SLIC, k-means and
# quickshift by the mean, and the grid and blank floors.
# `python tools/reproduce.py --data-root data --report baselines`.
title = 'The default beside the classical segmenters, BSDS500 test'
kind = 'default'
output = 'docs/results/baselines.md'
images = 0  # all 200 test images
bootstrap = 1000
fh = 'configs/baselines/felzenszwalb_bsds500.py'  # scale 300, sigma 0.5, min_size 30
default = 'configs/dynaseg/dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py'
runs = [
    dict(config=default),
    dict(config=default, options=['model.seed=1']),
    dict(config=default, options=['model.seed=2']),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_quick-p20_bsds500_replicate-edge-fh.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge-fh.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge.py'),
    dict(config='configs/kim/kim-fixed_cnn-m2_quick_bsds500_replicate-edge-fh.py'),
    dict(config=fh),
    dict(config=fh, options=['model.scale=150.0']),
    dict(config=fh, options=['model.scale=600.0']),
    dict(config=fh, options=['model.scale=600.0', 'model.min_size=100']),
    dict(config=fh, options=['model.scale=1000.0', 'model.min_size=100']),
    dict(config=fh, options=['model.scale=1000.0', 'model.sigma=0.8', 'model.min_size=100']),
    dict(config='configs/baselines/slic_bsds500.py'),
    dict(config='configs/baselines/kmeans_bsds500.py', options=['model.position_weight=0.0']),
    dict(config='configs/baselines/quickshift_bsds500.py'),
    dict(config='configs/baselines/grid_bsds500.py'),
    dict(config='configs/baselines/grid_bsds500.py', options=['model.rows=1', 'model.cols=1']),
]
