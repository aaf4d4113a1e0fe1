# The tools' default config (dynaseg.apis.DEFAULT_CONFIG): DynaSeg-FSF (mu = 15) with replicate
# padding, edge-aware continuity (s = 0.15) and the FH refiners (configs/_base_/refiners/fh.py), on
# the quick schedule: coarse stage at <= 10k pixels, stop once the label count has not changed for
# 10 iterations. It is the quick default (dynaseg-fsf_cnn-m2_quick-replicate-edge-fh_bsds500.py)
# with a patience of 10 instead of 20, chosen on the first 50 BSDS500 val images against it, with
# paired intervals, on the photos (docs/tuning_patience.md: 1.8 times faster) and on the same
# images scaled down to <= 40k pixels (docs/tuning_small_pictures.md: 1.4 times faster); no mode's
# interval below 0 in either. Patience 5 lost in the coarse mode on the photos. Test numbers:
# docs/results_baselines.md. (It restates the quick default's overrides rather than inheriting
# them: the config tree stays three files deep.)
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py', '../_base_/refiners/fh.py']
model = dict(
    schedule=dict(coarse_max_pixels=10_000, patience=10),
    backbone=dict(padding_mode='replicate'),
    loss=dict(continuity=dict(edge_sigma=0.15)),
    refine={{_base_.refine}},
)
