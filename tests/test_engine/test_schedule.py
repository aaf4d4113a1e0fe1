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


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(max_iters=0),
        dict(patience=0),
        dict(max_pixels=0),
        dict(refine_iters=-1),
        dict(check_every=0),
    ],
)
def test_invalid(kwargs):
    with pytest.raises(ValueError):
        Schedule(**kwargs)
