# PASCAL VOC 2012 val: JPEGImages + SegmentationObject (or class masks when object masks are absent).
_base_ = ['./bsds500.py']
data_root = 'data/voc2012'
split = 'val'
dataset = dict(
    _delete_=True,
    type='VOC2012SegmentDataset',
    data_root=data_root,
    split=split,
    gt_kind='auto',
    on_missing='skip',
)
evaluator = [dict(type='KimSegmentMIoU', dataset='voc', mode=1, prefix='voc')]
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        pipeline={{_base_.test_dataloader.dataset.pipeline}},
        type='VOC2012SegmentDataset',
        data_root=data_root,
        split=split,
        gt_kind='auto',
        on_missing='skip',
    )
)
test_evaluator = evaluator
