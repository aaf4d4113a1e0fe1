# DynaSeg-SCF on COCO-Stuff-27 (curated val list), the paper's M=3 extractor.
_base_ = [
    '../_base_/models/dynaseg_cnn.py',
    '../_base_/schedules/fast.py',
    '../_base_/datasets/coco_stuff27.py',
    '../_base_/default_runtime.py',
]
model = dict(schedule={{_base_.schedule}}, backbone=dict(num_convs=3))
