# Ablation of the default: the fast schedule's coarse stage (<= 40k pixels, patience 40) instead
# of the quick one; the base of the speed search on val (docs/log/tuning_speed.md), 4.9 times
# slower. Test numbers: docs/results/baselines.md.
_base_ = ['./dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py']
model = dict(schedule=dict(coarse_max_pixels=40_000, patience=40))
