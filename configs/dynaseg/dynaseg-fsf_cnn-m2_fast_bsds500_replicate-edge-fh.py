# Ablation of the default: the fast schedule's coarse stage (<= 40k pixels, patience 40) instead
# of the quick one: the two levers' config with the default's refiners and hierarchy. The base of
# the speed search on val (docs/log/tuning_speed.md), 4.9 times slower than the default. Test
# numbers: docs/results/baselines.md.
_base_ = [
    './dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge.py',
    '../_base_/refiners/fh.py',
    '../_base_/hierarchies/merge.py',
]
model = dict(refine={{_base_.refine}})
