# Ablation: the loss plateau instead of the label-count patience. A stage stops once the mean
# loss of the last 20 iterations is lower than that of the 20 before by less than 0.1% of it
# (or q <= 3, or its iteration budget), whether or not q still changes.
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(schedule=dict(patience=None, loss_plateau=dict(window=20, rel_tol=1e-3)))
