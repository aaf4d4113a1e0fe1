# The tools' default config (dynaseg.apis.DEFAULT_CONFIG), chosen on BSDS500 val (docs/tuning.md):
# DynaSeg-FSF, fast schedule, with the two levers that led there in all three modes together:
# - replicate padding: the convolutions pad by repeating the border instead of zeros, which
#   removes the 1-pixel frame segment zero padding leaves along the image border;
# - edge-aware continuity (s = 0.15, see dynaseg-fsf_cnn-m2_fast-edge_bsds500.py).
# Its test-split numbers (3 seeds, beside Kim et al. with the same levers and the authors'
# constants): docs/results_default.md.
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(
    backbone=dict(padding_mode='replicate'),
    loss=dict(continuity=dict(edge_sigma=0.15)),
)
