# Registered names resolve in the dynaseg scope first, then mmseg's.
default_scope = 'dynaseg'
custom_imports = dict(
    imports=['dynaseg.models', 'dynaseg.datasets', 'dynaseg.evaluation.metrics'],
    allow_failed_imports=False,
)
# Same-size images optimised together by the folder and dataset tools (one seeded network per
# image, stacked into grouped convolutions; --batch-size overrides it). 1 = one at a time, the
# CPU default; on a GPU see tools/benchmark_batched.py. Not a model key: a batch size changes no
# setting of the method, so predictions made with another one stay valid for resuming.
batch_size = 1
# The dataset tools segment each image scaled down to at most this many pixels (area
# interpolation) and score its labels upsampled to the image's own size: the protocol of small
# pictures, on which a schedule that scales with the picture is chosen (docs/log/speed.md).
# None = the images as they are. A run's records keep it, so predictions of another size are
# never scored or resumed as if they were these.
picture_pixels = None
# mmseg's inference_model needs a test pipeline; labels are predicted at the input size.
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]
