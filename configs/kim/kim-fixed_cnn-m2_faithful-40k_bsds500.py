# Kim et al.'s own loop (fixed mu = 1, 1000 iterations or q <= 3) at <= 40k pixels, labels
# upsampled to full size: the SCF config (dynaseg-scf_cnn-m2_faithful-40k_bsds500.py) with the
# fixed weight and no Silhouette phase.
_base_ = ['../dynaseg/dynaseg-scf_cnn-m2_faithful-40k_bsds500.py']
model = dict(
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
