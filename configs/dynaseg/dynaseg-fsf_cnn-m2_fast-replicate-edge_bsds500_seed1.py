# The validated default (dynaseg-fsf_cnn-m2_fast-replicate-edge_bsds500.py) with random seed 1:
# with seeds 0 (the default) and 2, the seed spread that docs/results_default.md reports.
_base_ = ['./dynaseg-fsf_cnn-m2_fast-replicate-edge_bsds500.py']
model = dict(seed=1)
