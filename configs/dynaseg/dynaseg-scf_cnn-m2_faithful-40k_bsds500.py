# The authors' loop (1000 iterations or q <= 3, no early stop) at a working size of <= 40k pixels,
# labels upsampled to full size: tools/benchmark.py's reference protocol, affordable on a CPU
# (about 4 minutes per image on one core instead of 25 at full size).
_base_ = ['./dynaseg-scf_cnn-m2_faithful_bsds500.py']
model = dict(schedule=dict(max_pixels=40_000))
