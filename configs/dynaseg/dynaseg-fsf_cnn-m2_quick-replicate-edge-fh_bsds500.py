# The tools' default config (dynaseg.apis.DEFAULT_CONFIG): DynaSeg-FSF (mu = 15) with replicate
# padding, edge-aware continuity (s = 0.15) and the FH refiners (configs/_base_/refiners/fh.py),
# on the quick schedule (configs/_base_/schedules/quick.py). Chosen on the first 50 BSDS500 val
# images: the levers and refiners against the authors' model (docs/tuning.md,
# docs/tuning_refine.md), then the quick schedule against the fast one of
# dynaseg-fsf_cnn-m2_fast-replicate-edge-fh_bsds500.py (docs/tuning_speed.md): 4.9 times faster,
# no mode's paired interval below 0. Test numbers: docs/results_baselines.md.
_base_ = [
    '../_base_/models/dynaseg_cnn.py',
    '../_base_/schedules/quick.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
    '../_base_/refiners/fh.py',
]
model = dict(
    schedule={{_base_.schedule}},
    backbone=dict(padding_mode='replicate'),
    loss=dict(
        weight=dict(_delete_=True, type='FSFWeight', mu=15.0), continuity=dict(edge_sigma=0.15)
    ),
    refine={{_base_.refine}},
)
