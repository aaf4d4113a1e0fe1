_base_ = ['./dynaseg-scf_cnn-m2_fast_voc2012.py']
model = dict(loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0)))
