"""Schedule: resolution plan and validation."""

import pytest

from dynaseg.engine import Schedule, fit_pixels


def test_fit_pixels():
    assert fit_pixels(321, 481, None) == (321, 481)
    assert fit_pixels(321, 481, 10**6) == (321, 481)
    h, w = fit_pixels(3000, 4000, 500_000)
    assert h * w <= 500_000 and abs(w / h - 4 / 3) < 0.01
    assert fit_pixels(1, 100000, 10) == (1, 10)


def test_stage_sizes():
    fast = Schedule(coarse_max_pixels=40_000, max_pixels=500_000, patience=40, refine_iters=40)
    coarse, working = fast.stage_sizes(321, 481)
    assert working == (321, 481) and coarse[0] * coarse[1] <= 40_000
    assert fast.stage_sizes(100, 100) == [(100, 100)]  # small images: one stage
    assert Schedule().stage_sizes(321, 481) == [(321, 481)]  # the authors' loop: full size


def test_coarse_fraction_scales_the_coarse_stage_with_the_picture():
    scaled = Schedule(coarse_max_pixels=10_000, coarse_fraction=1 / 15)
    # A BSDS500 photo (154,401 px): 1/15 of it is above the cap, so the cap decides.
    assert scaled.stage_sizes(321, 481) == Schedule(coarse_max_pixels=10_000).stage_sizes(321, 481)
    # A 40k-pixel picture: the coarse stage is 1/15 of it (2,666 px), not the 10k cap.
    assert scaled.coarse_pixels(160, 250) == 2_666
    coarse, working = scaled.stage_sizes(160, 250)
    assert working == (160, 250) and 2_500 < coarse[0] * coarse[1] <= 2_666
    assert Schedule(coarse_max_pixels=10_000).coarse_pixels(160, 250) == 10_000
    assert Schedule().coarse_pixels(160, 250) is None


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(max_iters=0),
        dict(patience=0),
        dict(max_pixels=0),
        dict(refine_iters=-1),
        dict(check_every=0),
        dict(coarse_max_pixels=10_000, coarse_fraction=0.0),
        dict(coarse_max_pixels=10_000, coarse_fraction=1.5),
        dict(coarse_fraction=0.1),  # no coarse stage to scale
    ],
)
def test_invalid(kwargs):
    with pytest.raises(ValueError):
        Schedule(**kwargs)
