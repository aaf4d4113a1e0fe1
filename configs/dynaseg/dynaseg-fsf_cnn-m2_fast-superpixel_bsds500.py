# Ablation: superpixel-refined targets (Kanezaki 2018). L_sim's target for each pixel is the
# majority argmax label of its SLIC superpixel of the stage image. Kanezaki's demo uses 10000
# superpixels (about 15 px each on a full BSDS image); the fast schedule optimises at up to
# 40k pixels, so 2500 keeps that superpixel size. Compactness 100 as in the demo.
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(loss=dict(target=dict(type='superpixel', n_segments=2500, compactness=100.0)))
