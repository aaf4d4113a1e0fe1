# DynaSeg-FSF (w = q / mu, mu = 15) with the authors' loop: full size, 1000 iterations or q <= 3.
_base_ = [
    '../_base_/models/dynaseg_cnn.py',
    '../_base_/schedules/faithful.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(
    schedule={{_base_.schedule}}, loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0))
)
