"""Bootstrap intervals over images: pooled (segment-weighted) means, seeded, sensible widths."""

import numpy as np
import pytest

from dynaseg.evaluation.bootstrap import bootstrap_ci
from dynaseg.evaluation.functional import pooled_miou


def test_weighted_value_is_kims_pooled_miou_and_interval_covers_it():
    rng = np.random.default_rng(1)
    segments = [rng.uniform(0, 1, size=rng.integers(2, 30)) for _ in range(50)]
    per_image = [s.mean() for s in segments]
    counts = [s.size for s in segments]
    ci = bootstrap_ci(per_image, counts, num_resamples=500, seed=0)
    assert ci.value == pytest.approx(pooled_miou(segments)['mIoU'])
    assert ci.low < ci.value < ci.high
    assert ci.num_images == 50 and ci.num_resamples == 500
    assert bootstrap_ci(per_image, counts, num_resamples=500, seed=0) == ci  # seeded
    assert bootstrap_ci(per_image, counts, num_resamples=500, seed=1) != ci


def test_width_shrinks_with_more_images_and_nan_images_are_left_out():
    rng = np.random.default_rng(0)
    few = bootstrap_ci(rng.normal(0.5, 0.1, 20), seed=0)
    many = bootstrap_ci(rng.normal(0.5, 0.1, 2000), seed=0)
    assert (many.high - many.low) < (few.high - few.low) / 5
    # Normal theory: 95% half-width about 1.96 * 0.1 / sqrt(2000).
    assert (many.high - many.low) / 2 == pytest.approx(1.96 * 0.1 / np.sqrt(2000), rel=0.2)
    with_nan = bootstrap_ci([0.2, np.nan, 0.4], seed=0)
    assert with_nan.num_images == 2 and with_nan.value == pytest.approx(0.3)
    assert bootstrap_ci([0.3, 0.3, 0.3]).low == bootstrap_ci([0.3, 0.3, 0.3]).high == 0.3
    with pytest.raises(ValueError):
        bootstrap_ci([np.nan])
