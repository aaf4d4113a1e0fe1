# DynaSeg-FSF (w = q / 15), CNN M=2, fast schedule, PASCAL VOC 2012 val: the SCF config with the
# FSF weighting.
_base_ = ['./dynaseg-scf_cnn-m2_fast_voc2012.py']
model = dict(loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0)))
