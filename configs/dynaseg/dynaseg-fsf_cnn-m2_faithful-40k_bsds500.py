# DynaSeg-FSF (w = q / mu, mu = 15) with the authors' loop at <= 40k pixels: the SCF config
# (dynaseg-scf_cnn-m2_faithful-40k_bsds500.py) with the FSF weighting.
_base_ = ['./dynaseg-scf_cnn-m2_faithful-40k_bsds500.py']
model = dict(loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0)))
