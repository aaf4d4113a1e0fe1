_base_ = ['./dynaseg-fsf_cnn-m3_fast_coco-stuff27.py']
model = dict(loss=dict(weight=dict(_delete_=True, type='SCFWeight', mu=50.0)))
