# DynaSeg with the CNN feature extractor of Kim et al.: M=2 blocks of 100 channels, q_max = 100.
_base_ = ['./data_preprocessor.py']
model = dict(
    type='DynaSeg',
    backbone=dict(type='DynaSegCNN', in_channels=3, channels=100, num_convs=2, out_channels=100),
    loss=dict(type='DynaSegLoss', weight=dict(type='SCFWeight', mu=50.0)),
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9),
    silhouette=dict(enabled=True, k_min=3, k_max=26, num_samples=1000),
    seed=0,
    relabel=False,
)
