# DynaSeg-SCF (w = 50 / q), CNN M=2, fast coarse-to-fine schedule, PASCAL VOC 2012 val.
_base_ = [
    '../_base_/models/dynaseg_cnn.py',
    '../_base_/schedules/fast.py',
    '../_base_/datasets/voc2012.py',
    '../_base_/default_runtime.py',
]
model = dict(schedule={{_base_.schedule}})
