# The data preprocessor of every model, DynaSeg and the classical baselines alike (its one home):
# pixels reach the segmentor scaled to [0, 1], as Kim et al. feed them, and a classical baseline
# undoes that to hand scikit-image 8-bit RGB. The model bases inherit it with `model`.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[0.0, 0.0, 0.0],
    std=[255.0, 255.0, 255.0],
    bgr_to_rgb=True,
    size_divisor=1,
    pad_val=0,
    seg_pad_val=255,
)
model = dict(data_preprocessor=data_preprocessor)
