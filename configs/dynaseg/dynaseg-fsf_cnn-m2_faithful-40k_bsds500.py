# DynaSeg-FSF (w = q / mu, mu = 15) with the authors' loop at <= 40k pixels (see the SCF variant).
_base_ = ['./dynaseg-fsf_cnn-m2_faithful_bsds500.py']
model = dict(schedule=dict(max_pixels=40_000))
