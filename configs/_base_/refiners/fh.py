# DynaSeg's labels snapped to Felzenszwalb-Huttenlocher regions (dynaseg/models/refiners.py), a
# segmentor's `model.refine`: every region of a fine FH over-segmentation takes its majority
# label, which removes the fragments; then the labels are split along a coarse FH segmentation's
# boundaries, which restores the strong edges the optimisation merged across. Both refiners and
# their scales were chosen on the first 50 BSDS500 val images (docs/log/tuning_refine.md). Leaf
# configs splice it in with `model = dict(refine={{_base_.refine}})`, as schedules are.
refine = [
    dict(
        type='RegionVote',
        regions=dict(type='FelzenszwalbSegmentor', scale=200.0, sigma=0.5, min_size=20),
    ),
    dict(
        type='RegionOverlay',
        regions=dict(type='FelzenszwalbSegmentor', scale=600.0, sigma=0.5, min_size=30),
    ),
]
