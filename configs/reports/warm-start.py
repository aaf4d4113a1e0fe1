# The warm start and the one pass against the per-image default on all BSDS500 test images
# (docs/results/warm_start.md): the per-image default and the one before it (SCF), the per-image
# FSF run the warm start continues from a trained network instead of a random one, the warm start
# and the one pass. `python tools/reproduce.py --data-root data --report warm-start`.
title = 'Warm start and one pass against the per-image default'
kind = 'warm-start'
output = 'docs/results/warm_start.md'
images = 0  # all 200 test images
runs = [
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge.py'),
    dict(config='configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_warm-start_bsds500.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_one-pass_bsds500.py'),
]
