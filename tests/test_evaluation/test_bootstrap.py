"""Bootstrap intervals over images: pooled (segment-weighted) means, seeded, sensible widths."""

import numpy as np
import pytest
import scipy.stats

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


def delta_method_sd(values: np.ndarray, weights: np.ndarray) -> float:
    """Normal theory for the weighted mean ``sum(w v) / sum(w)`` of n images drawn with
    replacement from these ones: sd = sqrt(mean(w^2 (v - m)^2) / (n mean(w)^2))."""
    m = (weights * values).sum() / weights.sum()
    n = values.size
    return float(np.sqrt(np.mean(weights**2 * (values - m) ** 2) / (n * weights.mean() ** 2)))


@pytest.mark.parametrize('confidence', [0.5, 0.8, 0.95, 0.99])
def test_interval_matches_normal_theory_at_each_confidence(confidence):
    """On 400 images the resampled (weighted) mean is close to normal: the interval is
    value -/+ z sd, with z the normal quantile of the confidence and sd from the delta method."""
    rng = np.random.default_rng(5)
    values = rng.normal(0.4, 0.15, 400)
    weights = rng.integers(1, 30, 400).astype(float)
    ci = bootstrap_ci(values, weights, num_resamples=4000, confidence=confidence, seed=0)
    half = scipy.stats.norm.ppf(0.5 + confidence / 2) * delta_method_sd(values, weights)
    assert ci.confidence == confidence
    assert ci.value - ci.low == pytest.approx(half, rel=0.12)
    assert ci.high - ci.value == pytest.approx(half, rel=0.12)


def test_interval_is_the_binomial_quantiles_for_zero_one_scores():
    """Scores of 0 or 1 (k ones in n): a resample's mean is exactly Binomial(n, k/n) / n."""
    n, k = 100, 30
    values = np.r_[np.ones(k), np.zeros(n - k)]
    for confidence in (0.6, 0.9):
        ci = bootstrap_ci(values, num_resamples=6000, confidence=confidence, seed=0)
        tail = (1 - confidence) / 2
        low, high = scipy.stats.binom.ppf([tail, 1 - tail], n, k / n) / n
        assert ci.value == pytest.approx(0.3)
        assert ci.low == pytest.approx(low, abs=1.01 / n)  # within one step of the lattice
        assert ci.high == pytest.approx(high, abs=1.01 / n)


def test_wider_confidence_nests_the_narrower_interval():
    values = np.random.default_rng(6).uniform(0, 1, 60)
    intervals = [bootstrap_ci(values, confidence=c, seed=2) for c in (0.5, 0.8, 0.9, 0.99)]
    for narrow, wide in zip(intervals, intervals[1:], strict=False):
        assert wide.low < narrow.low < narrow.high < wide.high
    with pytest.raises(ValueError, match='confidence'):
        bootstrap_ci(values, confidence=1.0)


@pytest.mark.parametrize('confidence', [0.5, 0.9])
def test_coverage_of_the_true_mean_over_many_draws(confidence):
    """Seeded: 600 independent sets of 50 images from a known distribution; the interval holds
    the true (weighted) mean in about ``confidence`` of them (binomial sd 0.02 at 0.5, 0.012 at
    0.9; the percentile interval undercovers a little on small sets)."""
    rng = np.random.default_rng(7)
    hits = 0
    for draw in range(600):
        values = rng.normal(0.3, 0.1, 50)
        weights = rng.integers(1, 20, 50).astype(float)  # independent of the values
        ci = bootstrap_ci(values, weights, num_resamples=400, confidence=confidence, seed=draw)
        hits += ci.low <= 0.3 <= ci.high
    assert confidence - 0.08 <= hits / 600 <= confidence + 0.04


def test_paired_interval_is_that_of_the_known_difference():
    """a and b share a large per-image difficulty; a is better by a known 0.02 plus small
    independent noise. The paired interval is normal theory on the differences alone (the
    difficulty cancels), and far narrower than the unpaired interval of either method."""
    rng = np.random.default_rng(2)
    n = 300
    difficulty = rng.uniform(0.1, 0.6, n)
    a = difficulty + 0.02 + rng.normal(0, 0.01, n)
    b = difficulty + rng.normal(0, 0.01, n)
    counts = rng.integers(2, 20, n).astype(float)
    ci = paired_bootstrap_ci(a, b, counts, num_resamples=3000, confidence=0.9, seed=3)
    pooled = lambda v: (v * counts).sum() / counts.sum()  # noqa: E731
    assert ci.value == pytest.approx(pooled(a) - pooled(b))
    assert ci.value == pytest.approx(0.02, abs=3 * delta_method_sd(a - b, counts))
    half = scipy.stats.norm.ppf(0.95) * delta_method_sd(a - b, counts)
    assert ci.value - ci.low == pytest.approx(half, rel=0.12)
    assert ci.high - ci.value == pytest.approx(half, rel=0.12)
    assert 0 < ci.low and ci.confidence == 0.9
    unpaired = bootstrap_ci(a, counts, num_resamples=3000, confidence=0.9, seed=3)
    assert (ci.high - ci.low) < (unpaired.high - unpaired.low) / 5  # sd 0.014 against 0.14
    assert ci.num_images == n and ci.num_resamples == 3000


def test_paired_coverage_of_a_known_difference():
    """Seeded: over 200 sets of 40 images the 90% paired interval holds the true pooled
    difference (0.05) in about 90% of them, whatever the shared per-image difficulty."""
    rng = np.random.default_rng(8)
    hits = 0
    for draw in range(200):
        difficulty = rng.uniform(0, 1, 40)
        a = difficulty + rng.normal(0.05, 0.03, 40)
        b = difficulty
        counts = rng.integers(1, 20, 40).astype(float)
        ci = paired_bootstrap_ci(a, b, counts, num_resamples=300, confidence=0.9, seed=draw)
        hits += ci.low <= 0.05 <= ci.high
    assert 0.8 <= hits / 200 <= 0.95


def test_exact_shift_gives_a_zero_width_interval_at_the_shift():
    rng = np.random.default_rng(9)
    b = rng.uniform(0, 0.8, 50)
    ci = paired_bootstrap_ci(b + 0.125, b, rng.integers(1, 9, 50), confidence=0.8, seed=1)
    for bound in (ci.value, ci.low, ci.high):
        assert bound == pytest.approx(0.125, abs=1e-12)


def test_paired_keeps_images_finite_in_both_and_rejects_misaligned_input():
    ci = paired_bootstrap_ci([0.5, np.nan, 0.3, 0.4], [0.1, 0.2, np.nan, 0.2], seed=0)
    assert ci.num_images == 2 and ci.value == pytest.approx(0.3)
    same = paired_bootstrap_ci([0.4, 0.2, 0.6], [0.4, 0.2, 0.6])
    assert same.value == same.low == same.high == 0
    with pytest.raises(ValueError, match='aligned'):
        paired_bootstrap_ci([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match='both'):
        paired_bootstrap_ci([np.nan, 0.2], [0.1, np.nan])
