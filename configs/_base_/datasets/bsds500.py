# BSDS500 test split (200 images, .mat human segmentations). Point data_root at your copy,
# e.g. with --data-root or --cfg-options data_root=... ; nothing is downloaded.
data_root = 'data/bsds500'
split = 'test'
dataset = dict(type='BSDS500Dataset', data_root=data_root, split=split, on_missing='error')
# Kim et al.'s best-match segment mIoU in its three modes, plus the BSDS region benchmarks.
evaluator = [
    dict(type='KimSegmentMIoU', dataset='bsd500', mode=1, prefix='all'),
    dict(type='KimSegmentMIoU', dataset='bsd500', mode=2, prefix='fine'),
    dict(type='KimSegmentMIoU', dataset='bsd500', mode=3, prefix='coarse'),
    dict(type='BSDSRegionMetric'),
]
_pack = dict(
    type='PackSegInputs',
    meta_keys=(
        'img_path',
        'seg_map_path',
        'gt_path',
        'ori_shape',
        'img_shape',
        'pad_shape',
        'scale_factor',
        'flip',
        'flip_direction',
        'reduce_zero_label',
    ),
)
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(dataset, pipeline=[dict(type='LoadImageFromFile'), _pack]),
)
test_evaluator = evaluator
