# DynaSeg-FSF (w = q / 15), CNN M=2, fast coarse-to-fine schedule, BSDS500 test: same as SCF but
# the continuity weight falls as labels merge.
_base_ = [
    '../_base_/models/dynaseg_cnn.py',
    '../_base_/schedules/fast.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(
    schedule={{_base_.schedule}}, loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0))
)
