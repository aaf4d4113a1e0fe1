"""Bootstrap confidence intervals over images (pure numpy, seeded).

A dataset score is an aggregate over images: Kim's pooled mIoU is the mean over every
ground-truth segment of every image, i.e. the per-image mIoUs weighted by their segment counts;
PRI and VOI are plain means over images. Resampling *images* with replacement (their segments
travel with them) and recomputing the aggregate gives the spread a different draw of test images
would show; the percentile interval of those resamples is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ['BootstrapInterval', 'bootstrap_ci', 'paired_bootstrap_ci']


@dataclass(frozen=True)
class BootstrapInterval:
    """The aggregate on the images as given, and its percentile interval over resamples."""

    value: float
    low: float
    high: float
    num_images: int
    num_resamples: int
    confidence: float


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    num_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile bootstrap interval of a (weighted) mean over images, resampling images.

    Args:
        values: one score per image (NaN images are left out, as the aggregates leave them).
        weights: per-image weights, e.g. ground-truth segment counts for Kim's pooled mIoU
            (``sum(v * w) / sum(w)`` is then the pooled mean); None = equal weights.
        num_resamples: bootstrap resamples of the images.
        confidence: coverage of the interval (0.95: the 2.5th and 97.5th percentiles).
        seed: seeds the resampling; same inputs and seed, same interval.
    Raises:
        ValueError: no image with a finite value, mismatched lengths, bad settings.
    """
    v = np.asarray(values, np.float64)
    w = np.ones_like(v) if weights is None else np.asarray(weights, np.float64)
    _check(v, w, num_resamples, confidence)
    keep = np.isfinite(v) & (w > 0)
    v, w = v[keep], w[keep]
    if v.size == 0:
        raise ValueError('no image with a finite score to resample')
    picks = np.random.default_rng(seed).integers(0, v.size, size=(num_resamples, v.size))
    value = float(_weighted_mean(v, w))
    return _interval(value, _weighted_mean(v[picks], w[picks]), v.size, confidence)


def paired_bootstrap_ci(
    values_a: Sequence[float] | np.ndarray,
    values_b: Sequence[float] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    num_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile bootstrap interval of ``aggregate(a) - aggregate(b)`` on the same images.

    Both methods are scored on the same images (index ``i`` of ``values_a`` and ``values_b`` is
    one image), so each resample draws images once and recomputes *both* aggregates on that
    draw: what the images have in common (hard images are hard for both) cancels, and the
    interval is that of the difference, much narrower than two unpaired intervals would suggest.
    An interval that excludes 0 says the difference is not a matter of which images were drawn.

    Args:
        values_a, values_b: one score per image for each method, aligned by image.
        weights: per-image weights shared by both (Kim's pooled mIoU: the image's ground-truth
            segment count, which does not depend on the method); None = equal weights.
        num_resamples, confidence, seed: as in :func:`bootstrap_ci`.
    Returns:
        ``value`` = aggregate(a) - aggregate(b) on the images where both are finite.
    Raises:
        ValueError: no image finite in both, mismatched lengths, bad settings.
    """
    a = np.asarray(values_a, np.float64)
    b = np.asarray(values_b, np.float64)
    w = np.ones_like(a) if weights is None else np.asarray(weights, np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f'values_a and values_b must be aligned by image, got {a.shape}, {b.shape}'
        )
    _check(a, w, num_resamples, confidence)
    keep = np.isfinite(a) & np.isfinite(b) & (w > 0)
    a, b, w = a[keep], b[keep], w[keep]
    if a.size == 0:
        raise ValueError('no image with finite scores for both methods to resample')
    picks = np.random.default_rng(seed).integers(0, a.size, size=(num_resamples, a.size))
    value = float(_weighted_mean(a, w) - _weighted_mean(b, w))
    resampled = _weighted_mean(a[picks], w[picks]) - _weighted_mean(b[picks], w[picks])
    return _interval(value, resampled, a.size, confidence)


def _check(v: np.ndarray, w: np.ndarray, num_resamples: int, confidence: float) -> None:
    if v.shape != w.shape or v.ndim != 1:
        raise ValueError(f'values and weights must be 1-d of one length, got {v.shape}, {w.shape}')
    if not 0 < confidence < 1 or num_resamples < 1:
        raise ValueError(
            f'need 0 < confidence < 1 and num_resamples >= 1, got {confidence}, {num_resamples}'
        )


def _weighted_mean(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mean along the last axis (a float for 1-d input, one per row for 2-d)."""
    return (v * w).sum(axis=-1) / w.sum(axis=-1)


def _interval(
    value: float, resampled: np.ndarray, num_images: int, confidence: float
) -> BootstrapInterval:
    """The percentile interval of the resampled aggregates around the observed one."""
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(resampled, [tail, 100 - tail])
    return BootstrapInterval(
        value=float(value),
        low=float(low),
        high=float(high),
        num_images=num_images,
        num_resamples=int(resampled.size),
        confidence=confidence,
    )
