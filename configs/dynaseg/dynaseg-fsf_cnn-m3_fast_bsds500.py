# DynaSeg-FSF (w = q / 15) with the paper's 0.19 M-parameter extractor: three 3x3 blocks.
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(backbone=dict(num_convs=3))
