# DynaSeg-FSF (w = q / mu, mu = 15) on the CNN of Kim et al. (dynaseg_cnn.py) with the two levers
# chosen together on BSDS500 val (docs/log/tuning.md):
# - replicate padding: the convolutions pad by repeating the border instead of zeros, which
#   removes the 1-pixel frame segment zero padding leaves along the image border;
# - edge-aware continuity: each neighbour pair's |difference| is weighted by
#   exp(-||I_p - I_q||^2 / (2 s^2)) of the stage image (RGB in [0, 1]), so continuity relaxes
#   across strong image edges. s = 0.15: on half-size BSDS500 val images the median neighbour
#   colour step is 0.02-0.1 (weight 0.8-1) and the 90th percentile 0.17-0.35 (weight 0.07-0.5).
_base_ = ['./dynaseg_cnn.py']
model = dict(
    backbone=dict(padding_mode='replicate'),
    loss=dict(
        weight=dict(_delete_=True, type='FSFWeight', mu=15.0),
        continuity=dict(edge_sigma=0.15),
    ),
)
