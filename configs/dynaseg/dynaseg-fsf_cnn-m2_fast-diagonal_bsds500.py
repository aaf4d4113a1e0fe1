# Ablation: L_con also over the two diagonal neighbours (as in the authors' later DynaGuide),
# each direction's mean |difference| added like the vertical and horizontal ones.
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(loss=dict(continuity=dict(diagonal=True)))
