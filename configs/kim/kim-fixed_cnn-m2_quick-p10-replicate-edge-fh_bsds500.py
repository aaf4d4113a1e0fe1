# The comparison row of the default (configs/dynaseg/dynaseg-fsf_cnn-m2_quick-p10-replicate-edge-
# fh_bsds500.py): Kim et al.'s fixed weight mu=1, no Silhouette phase, with the same levers,
# refiners and quick schedule (patience 10), so that the two rows answer whether the dynamic
# weight itself helps.
_base_ = ['./kim-fixed_cnn-m2_fast_bsds500.py', '../_base_/refiners/fh.py']
model = dict(
    schedule=dict(coarse_max_pixels=10_000, patience=10),
    backbone=dict(padding_mode='replicate'),
    loss=dict(continuity=dict(edge_sigma=0.15)),
    refine={{_base_.refine}},
)
