# Registered names resolve in the dynaseg scope first, then mmseg's.
default_scope = 'dynaseg'
custom_imports = dict(
    imports=['dynaseg.models', 'dynaseg.datasets', 'dynaseg.evaluation.metrics'],
    allow_failed_imports=False,
)
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
log_level = 'INFO'
# mmseg's inference_model needs a test pipeline; labels are predicted at the input size.
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]
