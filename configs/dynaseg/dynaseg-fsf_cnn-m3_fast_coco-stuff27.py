# DynaSeg-FSF (w = q / 15) on COCO-Stuff-27: the SCF config with the FSF weighting.
_base_ = ['./dynaseg-scf_cnn-m3_fast_coco-stuff27.py']
model = dict(loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0)))
