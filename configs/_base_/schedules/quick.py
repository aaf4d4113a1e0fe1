# The default's schedule: the fast schedule (fast.py) with its coarse stage at <= 10k pixels
# instead of 40k, stopped once the label count has not changed for 10 iterations instead of 40.
# Above 10k pixels an image's optimisation then costs the same whatever its size; only the last
# working-size forward pass, the refiners and decoding grow with it. Chosen on the first 50
# BSDS500 val images against the fast schedule, then against patience 20 (docs/log/speed.md).
_base_ = ['./fast.py']
schedule = dict(coarse_max_pixels=10_000, patience=10)
