# Coarse-to-fine: optimise at <= 40k pixels until the label count is stable for 40 iterations
# (or q <= 3, or 1000 iterations), then 40 iterations at the working size (<= 0.5 MP;
# larger photos are optimised downscaled and their response upsampled to full size).
schedule = dict(
    max_iters=1000, min_labels=3, patience=40, coarse_max_pixels=40_000, refine_iters=40,
    max_pixels=500_000)
