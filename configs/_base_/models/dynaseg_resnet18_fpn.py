# DynaSeg with a ResNet-18 stem + 2 stages + FPN extractor (random init: no weights are downloaded;
# set model.checkpoint to a local torchvision- or mmseg-format ResNet file to start from one).
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[0.0, 0.0, 0.0],
    std=[255.0, 255.0, 255.0],  # Kim et al. feed pixels scaled to [0, 1]
    bgr_to_rgb=True,
    size_divisor=1,
    pad_val=0,
    seg_pad_val=255,
)
model = dict(
    type='DynaSeg',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetFPNExtractor', depth=18, num_stages=2, channels=100, out_channels=100
    ),
    loss=dict(type='DynaSegLoss', weight=dict(type='SCFWeight', mu=50.0)),
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9),
    silhouette=dict(enabled=True, k_min=3, k_max=26, num_samples=1000),
    seed=0,
    relabel=False,
)
