# DynaSeg-FSF (w = q / 15) with the paper's M=3 extractor: the SCF config with the FSF weighting.
_base_ = ['./dynaseg-scf_cnn-m3_fast_bsds500.py']
model = dict(loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0)))
