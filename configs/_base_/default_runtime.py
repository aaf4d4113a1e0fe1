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
# mmseg's inference_model needs a test pipeline; labels are predicted at the input size.
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]
