# A schedule is the segmentor's `model.schedule`. Leaf configs splice it in with
# `model = dict(schedule={{_base_.schedule}})`: MMEngine refuses one key (`model`) in two
# sibling bases, so this file cannot declare `model` beside a `_base_/models` file.
# The authors' loop: full resolution, up to 1000 iterations, stop once q <= 3 labels.
schedule = dict(max_iters=1000, min_labels=3)
