# The comparison row of the default (configs/dynaseg/dynaseg-fsf_cnn-m2_quick-p10-replicate-edge-
# fh_bsds500.py): Kim et al.'s fixed weight mu=1, no Silhouette phase, with the same levers,
# refiners and schedule (quick, patience 10), so that the two rows answer whether the dynamic
# weight itself helps.
_base_ = ['./kim-fixed_cnn-m2_quick-replicate-edge-fh_bsds500.py']
model = dict(schedule=dict(patience=10))
