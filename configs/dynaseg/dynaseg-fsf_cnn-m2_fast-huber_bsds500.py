# Ablation: smooth-L1 (Huber) continuity, threshold 1 (torch's SmoothL1Loss default, as in
# DynaGuide): differences under 1 are pulled quadratically (gently), larger ones as in L1.
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(loss=dict(continuity=dict(penalty='huber', huber_delta=1.0)))
