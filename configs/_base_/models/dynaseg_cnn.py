# DynaSeg with the CNN feature extractor of Kim et al.: M=2 blocks of 100 channels, q_max = 100.
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
    backbone=dict(type='DynaSegCNN', in_channels=3, channels=100, num_convs=2, out_channels=100),
    loss=dict(type='DynaSegLoss', weight=dict(type='SCFWeight', mu=50.0)),
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9),
    silhouette=dict(enabled=True, k_min=3, k_max=26, num_samples=1000),
    seed=0,
    relabel=False,
)
