_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(backbone=dict(num_convs=3))
