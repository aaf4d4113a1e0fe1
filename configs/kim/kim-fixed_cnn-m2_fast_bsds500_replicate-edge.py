# Kim et al.'s fixed weight mu = 1 and no Silhouette phase, with the levers of
# dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge.py (fast schedule, no refiner): its comparison
# row. Test numbers: docs/results/default.md.
_base_ = ['../dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge.py']
model = dict(
    loss=dict(weight=dict(_delete_=True, type='FixedWeight', mu=1.0)),
    silhouette=dict(enabled=False),
)
