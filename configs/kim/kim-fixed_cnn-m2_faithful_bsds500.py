# Kim et al.'s own loop: fixed mu = 1, full size, 1000 iterations or q <= 3 (the SCF config with
# the fixed weight and no Silhouette phase).
_base_ = ['../dynaseg/dynaseg-scf_cnn-m2_faithful_bsds500.py']
model = dict(
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
