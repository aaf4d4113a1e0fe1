# COCO-Stuff-27 on the curated val2017 list (PiCIE split, 2175 ids). Images listed but absent are
# reported and skipped; every result states how many images were scored.
data_root = 'data/cocostuff'
split = 'val2017'
dataset = dict(type='CocoStuff27Dataset', data_root=data_root, split=split, on_missing='skip')
# The three protocols are never mixed in one number: (a) dataset-level Hungarian (PiCIE/STEGO),
# (b) per-image Hungarian averaged over images (DynaSeg), (c) per-image match, counts summed (DiffSeg).
evaluator = [
    dict(type='CocoStuffMetric', protocol='dataset', prefix='a_dataset'),
    dict(type='CocoStuffMetric', protocol='per_image', prefix='b_per_image'),
    dict(type='CocoStuffMetric', protocol='per_image_summed', prefix='c_per_image_summed'),
]
