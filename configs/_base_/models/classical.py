# The data preprocessor the classical baselines share with the DynaSeg configs: pixels reach the
# segmentor scaled to [0, 1], and the wrapper undoes that to hand scikit-image 8-bit RGB.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[0.0, 0.0, 0.0],
    std=[255.0, 255.0, 255.0],
    bgr_to_rgb=True,
    size_divisor=1,
    pad_val=0,
    seg_pad_val=255,
)
