# DynaSeg with a ResNet-18 stem + 2 stages + FPN extractor (random init: no weights are downloaded;
# set model.backbone.checkpoint to a local torchvision- or mmseg-format file to start from one).
_base_ = ['./dynaseg_cnn.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNetFPNExtractor',
        depth=18,
        num_stages=2,
        channels=100,
        out_channels=100,
        checkpoint=None,
    )
)
