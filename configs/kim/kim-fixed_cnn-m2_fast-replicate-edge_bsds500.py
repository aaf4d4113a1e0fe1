# The comparison row of the default (dynaseg-fsf_cnn-m2_fast-replicate-edge_bsds500.py): Kim et
# al.'s fixed weight mu=1 with the same levers (replicate padding, edge-aware continuity s = 0.15), so that a table of the two answers
# whether the dynamic weight itself helps.
_base_ = ['./kim-fixed_cnn-m2_fast_bsds500.py']
model = dict(
    backbone=dict(padding_mode='replicate'),
    loss=dict(continuity=dict(edge_sigma=0.15)),
)
