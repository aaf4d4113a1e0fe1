# The validated default on all BSDS500 test images (docs/results/default.md): the default
# (chosen on BSDS500 val, docs/log/tuning.md, docs/log/tuning_refine.md, docs/log/tuning_speed.md,
# docs/log/tuning_patience.md) with seeds 0, 1, 2; Kim et al.'s fixed weight with the same levers
# (does the dynamic weight itself help?); the default at patience 20 and on the fast schedule,
# which it replaced; Kim et al. and DynaSeg SCF / FSF at the authors' constants. The first run is
# the default the others are compared with; runs whose model config differs from it only in
# `model.seed` are its seed runs.
# `python tools/reproduce.py --data-root data --report default`.
title = "The default beside Kim et al. and the authors' settings, BSDS500 test"
kind = 'default'
output = 'docs/results/default.md'
images = 0  # all 200 test images
bootstrap = 1000  # the paired differences are bootstrap intervals
default = 'configs/dynaseg/dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py'
runs = [
    dict(config=default),
    dict(config=default, options=['model.seed=1']),
    dict(config=default, options=['model.seed=2']),
    dict(config='configs/kim/kim-fixed_cnn-m2_quick_bsds500_replicate-edge-fh.py'),
    # The default at patience 20 and on the fast schedule, and before the FH refiners, and Kim et
    # al. with its levers.
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_quick-p20_bsds500_replicate-edge-fh.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge-fh.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge.py'),
    dict(config='configs/kim/kim-fixed_cnn-m2_fast_bsds500_replicate-edge.py'),
    dict(config='configs/kim/kim-fixed_cnn-m2_fast_bsds500.py'),
    dict(config='configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py'),
]
