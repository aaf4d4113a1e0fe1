# The previous default (now the base of dynaseg-fsf_cnn-m2_quick-p10-replicate-edge-fh_bsds500.py,
# which stops after 10 unchanged iterations instead of 20): DynaSeg-FSF (mu = 15) with replicate
# padding, edge-aware continuity (s = 0.15) and the FH refiners (configs/_base_/refiners/fh.py),
# on the quick schedule: the fast schedule with its coarse stage at <= 10k pixels instead of 40k
# and a patience of 20 iterations instead of 40. Above 10k pixels an image's optimisation then
# costs the same whatever its size; only the last full-size forward pass, the refiners and
# decoding grow with it. Chosen on the first 50 BSDS500 val images: the levers and refiners
# against the authors' model (docs/tuning.md, docs/tuning_refine.md), then the quick schedule
# against the fast one of dynaseg-fsf_cnn-m2_fast-replicate-edge-fh_bsds500.py
# (docs/tuning_speed.md, docs/speed.md): 4.9 times faster, no mode's paired interval below 0.
# Test numbers: docs/results_baselines.md.
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py', '../_base_/refiners/fh.py']
model = dict(
    schedule=dict(coarse_max_pixels=10_000, patience=20),
    backbone=dict(padding_mode='replicate'),
    loss=dict(continuity=dict(edge_sigma=0.15)),
    refine={{_base_.refine}},
)
