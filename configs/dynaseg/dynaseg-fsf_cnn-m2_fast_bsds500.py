# DynaSeg-FSF (w = q / 15), CNN M=2, fast coarse-to-fine schedule, BSDS500 test: the SCF config
# with the FSF weighting, so the continuity weight falls as labels merge.
_base_ = ['./dynaseg-scf_cnn-m2_fast_bsds500.py']
model = dict(loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0)))
