# Kim et al.'s fixed continuity weight (mu = 1) on the ResNet-18 + FPN extractor (random init).
# No Silhouette phase: its floor on q only enters w(q), which a fixed weight ignores.
_base_ = [
    '../_base_/models/dynaseg_resnet18_fpn.py',
    '../_base_/schedules/fast.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(
    schedule={{_base_.schedule}},
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
