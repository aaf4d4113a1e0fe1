# DynaSeg-FSF (w = q / 15) with the ResNet-18 + FPN extractor (random init): the SCF config with
# the FSF weighting.
_base_ = ['./dynaseg-scf_resnet18-fpn_fast_bsds500.py']
model = dict(loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0)))
