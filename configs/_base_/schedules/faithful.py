# The authors' loop: full resolution, up to 1000 iterations, stop once q <= 3 labels.
schedule = dict(max_iters=1000, min_labels=3)
