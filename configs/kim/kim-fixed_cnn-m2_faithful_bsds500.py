# Kim et al.'s own loop: fixed mu = 1, full size, 1000 iterations or q <= 3.
_base_ = [
    '../_base_/models/dynaseg_cnn.py',
    '../_base_/schedules/faithful.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(
    schedule={{_base_.schedule}},
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
