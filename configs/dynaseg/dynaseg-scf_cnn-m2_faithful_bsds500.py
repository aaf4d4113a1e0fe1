# The authors' BSD/VOC loop: DynaSeg-SCF, CNN M=2, full size, 1000 iterations or q <= 3.
_base_ = [
    '../_base_/models/dynaseg_cnn.py',
    '../_base_/schedules/faithful.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(schedule={{_base_.schedule}})
