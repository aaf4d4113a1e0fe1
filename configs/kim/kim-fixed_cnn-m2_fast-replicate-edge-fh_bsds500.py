# The comparison row of dynaseg-fsf_cnn-m2_fast-replicate-edge-fh_bsds500.py: Kim et al.'s fixed
# weight mu=1 with the same levers and the same FH refiners, so that the two rows answer whether
# the dynamic weight itself helps once the labels are refined.
_base_ = ['./kim-fixed_cnn-m2_fast_bsds500.py', '../_base_/refiners/fh.py']
model = dict(
    backbone=dict(padding_mode='replicate'),
    loss=dict(continuity=dict(edge_sigma=0.15)),
    refine={{_base_.refine}},
)
