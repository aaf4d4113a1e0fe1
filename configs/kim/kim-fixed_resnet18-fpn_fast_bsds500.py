# Kim et al.'s fixed continuity weight (mu = 1) on the ResNet-18 + FPN extractor (random init): the
# SCF config with the fixed weight and no Silhouette phase.
_base_ = ['../dynaseg/dynaseg-scf_resnet18-fpn_fast_bsds500.py']
model = dict(
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
