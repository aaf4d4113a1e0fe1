# Candidate default of issue 16, chosen on BSDS500 val (docs/tuning.md): DynaSeg-FSF, fast
# schedule, with the two levers that led there in all three modes together:
# - replicate padding: the convolutions pad by repeating the border instead of zeros, which
#   removes the 1-pixel frame segment zero padding leaves along the image border;
# - edge-aware continuity (s = 0.15, see dynaseg-fsf_cnn-m2_fast-edge_bsds500.py).
# Not yet run on the test split; the tools' default config is unchanged until it is.
_base_ = ['./dynaseg-fsf_cnn-m2_fast-edge_bsds500.py']
model = dict(backbone=dict(padding_mode='replicate'))
