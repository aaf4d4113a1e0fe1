# Kim et al.'s fixed continuity weight (mu = 1), CNN M=2, fast schedule, PASCAL VOC 2012 val: the
# SCF config with the fixed weight and no Silhouette phase.
_base_ = ['../dynaseg/dynaseg-scf_cnn-m2_fast_voc2012.py']
model = dict(
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
