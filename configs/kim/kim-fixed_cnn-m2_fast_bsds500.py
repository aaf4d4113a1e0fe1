# Kim et al. (TIP 2020): constant continuity weight mu = 1, no Silhouette phase; CNN M=2, fast
# coarse-to-fine schedule, BSDS500 test: the SCF config with the fixed weight. No Silhouette phase:
# its floor on q only enters w(q), which a fixed weight ignores.
_base_ = ['../dynaseg/dynaseg-scf_cnn-m2_fast_bsds500.py']
model = dict(
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
