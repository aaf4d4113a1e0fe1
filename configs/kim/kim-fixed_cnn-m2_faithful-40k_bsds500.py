# Kim et al.'s own loop (fixed mu = 1, 1000 iterations or q <= 3) at <= 40k pixels, labels
# upsampled to full size (see configs/dynaseg/dynaseg-scf_cnn-m2_faithful-40k_bsds500.py).
_base_ = ['./kim-fixed_cnn-m2_faithful_bsds500.py']
model = dict(schedule=dict(max_pixels=40_000))
