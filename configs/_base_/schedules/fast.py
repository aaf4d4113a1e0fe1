# A schedule is the segmentor's `model.schedule`. Leaf configs splice it in with
# `model = dict(schedule={{_base_.schedule}})`: MMEngine refuses one key (`model`) in two
# sibling bases, so this file cannot declare `model` beside a `_base_/models` file.
# Coarse-to-fine, measured to match the authors' loop at a fraction of the work (tools/benchmark.py):
# optimise at <= 40k pixels until the label count has been stable for 40 iterations (or q <= 3, or
# 1000 iterations), then label the working-size image (<= 0.5 MP) with one forward pass of the
# fitted network; larger photos are labelled at 0.5 MP and their response upsampled to full size.
# refine_iters > 0 adds iterations at the working size before that last pass.
schedule = dict(
    max_iters=1000,
    min_labels=3,
    patience=40,
    coarse_max_pixels=40_000,
    refine_iters=0,
    max_pixels=500_000,
)
