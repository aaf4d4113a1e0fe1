"""Bootstrap intervals over images: pooled (segment-weighted) means, seeded, sensible widths."""

import numpy as np
import pytest

from dynaseg.evaluation.bootstrap import bootstrap_ci, paired_bootstrap_ci
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


def test_paired_difference_matches_a_hand_computed_resample_and_is_narrower_than_unpaired():
    rng = np.random.default_rng(2)
    difficulty = rng.uniform(0.1, 0.6, 80)  # shared by both methods: cancels when paired
    a = difficulty + 0.02 + rng.normal(0, 0.01, 80)
    b = difficulty + rng.normal(0, 0.01, 80)
    counts = rng.integers(2, 20, 80).astype(float)
    ci = paired_bootstrap_ci(a, b, counts, num_resamples=300, seed=3)
    pooled = lambda v: (v * counts).sum() / counts.sum()  # noqa: E731
    assert ci.value == pytest.approx(pooled(a) - pooled(b))
    # The same draws by hand: one index set per resample, both aggregates on it.
    picks = np.random.default_rng(3).integers(0, 80, size=(300, 80))
    by_hand = [
        (a[p] * counts[p]).sum() / counts[p].sum() - (b[p] * counts[p]).sum() / counts[p].sum()
        for p in picks
    ]
    assert (ci.low, ci.high) == pytest.approx(tuple(np.percentile(by_hand, [2.5, 97.5])))
    assert 0 < ci.low < ci.value < ci.high  # a is better on every draw of images
    unpaired = bootstrap_ci(a, counts, num_resamples=300, seed=3)
    assert (ci.high - ci.low) < (unpaired.high - unpaired.low) / 3
    assert ci.num_images == 80 and ci.num_resamples == 300


def test_paired_keeps_images_finite_in_both_and_rejects_misaligned_input():
    ci = paired_bootstrap_ci([0.5, np.nan, 0.3, 0.4], [0.1, 0.2, np.nan, 0.2], seed=0)
    assert ci.num_images == 2 and ci.value == pytest.approx(0.3)
    same = paired_bootstrap_ci([0.4, 0.2, 0.6], [0.4, 0.2, 0.6])
    assert same.value == same.low == same.high == 0
    with pytest.raises(ValueError, match='aligned'):
        paired_bootstrap_ci([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match='both'):
        paired_bootstrap_ci([np.nan, 0.2], [0.1, np.nan])
