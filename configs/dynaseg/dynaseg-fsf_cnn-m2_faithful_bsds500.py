# DynaSeg-FSF (w = q / mu, mu = 15) with the authors' loop: full size, 1000 iterations or q <= 3
# (the SCF config with the FSF weighting).
_base_ = ['./dynaseg-scf_cnn-m2_faithful_bsds500.py']
model = dict(loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0)))
