_base_ = ['../dynaseg/dynaseg-scf_cnn-m2_fast_voc2012.py']
model = dict(
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
