# DynaSeg-FSF (w = q / 15) with the ResNet-18 + FPN extractor (random init).
_base_ = [
    '../_base_/models/dynaseg_resnet18_fpn.py',
    '../_base_/schedules/fast.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(
    schedule={{_base_.schedule}}, loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0))
)
