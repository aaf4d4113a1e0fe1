# Baseline: k-means on Lab colour (kmeans_bsds500.py, its val-chosen setting) followed by the
# default's two FH refiners (configs/_base_/refiners/fh.py). The default is DynaSeg's
# optimisation followed by the same refiners, so the baselines report's paired differences
# against this row are what the optimisation adds over colour clusters (docs/results/baselines.md).
# The report makes its run by refining the k-means run's label maps (tools/refine_predictions.py).
_base_ = ['./kmeans_bsds500.py', '../_base_/refiners/fh.py']
model = dict(refine={{_base_.refine}})
