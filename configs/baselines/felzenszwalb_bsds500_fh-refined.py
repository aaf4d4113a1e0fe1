# Baseline: Felzenszwalb-Huttenlocher (felzenszwalb_bsds500.py, the setting chosen on val for the
# mean of all/fine/coarse) followed by the default's two FH refiners
# (configs/_base_/refiners/fh.py). The default is DynaSeg's optimisation followed by the same
# refiners, so the baselines report's paired differences against this row are what the
# optimisation adds over a classical over-segmentation (docs/results/baselines.md). The report
# makes its run by refining the FH run's label maps (tools/refine_predictions.py).
_base_ = ['./felzenszwalb_bsds500.py', '../_base_/refiners/fh.py']
model = dict(refine={{_base_.refine}})
