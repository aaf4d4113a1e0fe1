# The default's Kim row: Kim et al.'s fixed weight mu = 1 and no Silhouette phase, with the
# default's levers, schedule and refiners, so that the two rows answer whether the dynamic weight
# itself helps. Test numbers: docs/results/baselines.md.
_base_ = ['../dynaseg/dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py']
model = dict(
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
