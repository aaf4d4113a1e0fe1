# BSDS500 test split (200 images, .mat human segmentations). Point data_root at your copy,
# e.g. with --data-root or --cfg-options data_root=... ; nothing is downloaded.
# `dataset` and `evaluator` are the test path: tools/evaluate_config.py segments every image of
# `dataset` and scores it with each metric of `evaluator` (dynaseg.apis.dataset_runner).
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
