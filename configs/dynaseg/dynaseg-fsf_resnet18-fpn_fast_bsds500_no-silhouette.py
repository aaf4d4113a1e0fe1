# Ablation: no Silhouette phase, q is the raw label count.
_base_ = ['./dynaseg-fsf_resnet18-fpn_fast_bsds500.py']
model = dict(silhouette=dict(enabled=False))
