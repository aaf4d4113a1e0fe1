# Ablation of the default: the fast schedule and no refiner, the two levers alone (chosen on val,
# docs/log/tuning.md). Test numbers: docs/results/baselines.md, docs/results/default.md.
_base_ = [
    '../_base_/models/dynaseg_fsf_cnn_replicate_edge.py',
    '../_base_/schedules/fast.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(schedule={{_base_.schedule}})
