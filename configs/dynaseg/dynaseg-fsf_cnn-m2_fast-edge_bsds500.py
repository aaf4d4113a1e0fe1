# Ablation: edge-aware continuity. Each neighbour pair's |difference| is weighted by
# exp(-||I_p - I_q||^2 / (2 s^2)) of the stage image (RGB in [0, 1]), so continuity relaxes
# across strong image edges. s = 0.15: on half-size BSDS500 val images the median neighbour
# colour step is 0.02-0.1 (weight 0.8-1) and the 90th percentile 0.17-0.35 (weight 0.07-0.5).
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(loss=dict(continuity=dict(edge_sigma=0.15)))
