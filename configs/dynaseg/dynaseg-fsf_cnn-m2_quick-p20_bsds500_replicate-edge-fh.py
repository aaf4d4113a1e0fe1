# Ablation of the default: patience 20 instead of 10 (the default before patience 10 was chosen
# on val, docs/log/speed.md). Test numbers: docs/results/baselines.md.
_base_ = ['./dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py']
model = dict(schedule=dict(patience=20))
