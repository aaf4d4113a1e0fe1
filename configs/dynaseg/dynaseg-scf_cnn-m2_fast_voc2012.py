_base_ = [
    '../_base_/models/dynaseg_cnn.py',
    '../_base_/schedules/fast.py',
    '../_base_/datasets/voc2012.py',
    '../_base_/default_runtime.py',
]
model = dict(schedule={{_base_.schedule}})
