# Kim et al. (TIP 2020): constant continuity weight mu = 1, no Silhouette phase; CNN M=2, fast
# coarse-to-fine schedule, BSDS500 test.
_base_ = [
    '../_base_/models/dynaseg_cnn.py',
    '../_base_/schedules/fast.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(
    schedule={{_base_.schedule}},
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
