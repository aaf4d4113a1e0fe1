# A schedule is the segmentor's `model.schedule`; leaf configs splice it in with
# `model = dict(schedule={{_base_.schedule}})` (see fast.py).
# The fast schedule at a quarter of its coarse size and half its patience: optimise at <= 10k
# pixels until the label count has been stable for 20 iterations (or q <= 3, or 1000 iterations),
# then label the working-size image (<= 0.5 MP) with one forward pass of the fitted network. On
# the first 50 BSDS500 val images, with the FH refiners, it is 4.9 times faster than the fast
# schedule and no mode's paired interval lies below 0 (docs/tuning_speed.md, docs/speed.md).
# Above 10k pixels an image's optimisation costs the same whatever its size; only the last
# forward pass, the refiners and decoding grow with it.
schedule = dict(
    max_iters=1000,
    min_labels=3,
    patience=20,
    coarse_max_pixels=10_000,
    refine_iters=0,
    max_pixels=500_000,
)
