# DynaSeg with a ResNet-18 stem + 2 stages + FPN extractor (random init: no weights are downloaded;
# set model.checkpoint to a local torchvision- or mmseg-format ResNet file to start from one).
_base_ = ['./data_preprocessor.py']
model = dict(
    type='DynaSeg',
    backbone=dict(
        type='ResNetFPNExtractor', depth=18, num_stages=2, channels=100, out_channels=100
    ),
    loss=dict(type='DynaSegLoss', weight=dict(type='SCFWeight', mu=50.0)),
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9),
    silhouette=dict(enabled=True, k_min=3, k_max=26, num_samples=1000),
    seed=0,
    relabel=False,
)
