# PASCAL VOC 2012 val: JPEGImages + SegmentationObject (or class masks when object masks are absent).
data_root = 'data/voc2012'
split = 'val'
dataset = dict(
    type='VOC2012SegmentDataset',
    data_root=data_root,
    split=split,
    gt_kind='auto',
    on_missing='skip',
)
evaluator = [dict(type='KimSegmentMIoU', dataset='voc', mode=1, prefix='voc')]
