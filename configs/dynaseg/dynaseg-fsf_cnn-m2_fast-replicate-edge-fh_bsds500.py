# DynaSeg-FSF with the levers of dynaseg-fsf_cnn-m2_fast-replicate-edge_bsds500.py (replicate
# padding, edge-aware continuity), its labels snapped to Felzenszwalb-Huttenlocher regions
# (dynaseg/models/refiners.py): every region of a fine FH over-segmentation takes its majority
# label, which removes the fragments; then the labels are split along a coarse FH segmentation's
# boundaries, which restores the strong edges the optimisation merged across. Both refiners and
# their scales were chosen on the first 50 BSDS500 val images (docs/tuning_refine.md).
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(
    backbone=dict(padding_mode='replicate'),
    loss=dict(continuity=dict(edge_sigma=0.15)),
    refine=[
        dict(
            type='RegionVote',
            regions=dict(type='FelzenszwalbSegmentor', scale=200.0, sigma=0.5, min_size=20),
        ),
        dict(
            type='RegionOverlay',
            regions=dict(type='FelzenszwalbSegmentor', scale=600.0, sigma=0.5, min_size=30),
        ),
    ],
)
