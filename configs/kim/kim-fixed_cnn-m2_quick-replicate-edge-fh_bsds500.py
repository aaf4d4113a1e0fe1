# The comparison row of the default (configs/dynaseg/dynaseg-fsf_cnn-m2_quick-replicate-edge-fh_
# bsds500.py): Kim et al.'s fixed weight mu=1, no Silhouette phase, with the same levers,
# refiners and quick schedule, so that the two rows answer whether the dynamic weight itself helps.
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
        weight=dict(_delete_=True, type='FixedWeight', mu=1.0), continuity=dict(edge_sigma=0.15)
    ),
    silhouette=dict(enabled=False),
    refine={{_base_.refine}},
)
