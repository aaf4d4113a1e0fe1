# DynaSeg-FSF with the levers of dynaseg-fsf_cnn-m2_fast-replicate-edge_bsds500.py (replicate
# padding, edge-aware continuity), its labels snapped to Felzenszwalb-Huttenlocher regions
# (configs/_base_/refiners/fh.py, chosen on the first 50 BSDS500 val images:
# docs/tuning_refine.md).
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py', '../_base_/refiners/fh.py']
model = dict(
    backbone=dict(padding_mode='replicate'),
    loss=dict(continuity=dict(edge_sigma=0.15)),
    refine={{_base_.refine}},
)
