# Kim et al.'s fixed continuity weight (mu = 1), CNN M=2, fast schedule, PASCAL VOC 2012 val.
_base_ = [
    '../_base_/models/dynaseg_cnn.py',
    '../_base_/schedules/fast.py',
    '../_base_/datasets/voc2012.py',
    '../_base_/default_runtime.py',
]
model = dict(
    schedule={{_base_.schedule}},
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
