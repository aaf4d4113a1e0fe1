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

__all__ = ['BootstrapInterval', 'bootstrap_ci']


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
    if v.shape != w.shape or v.ndim != 1:
        raise ValueError(f'values and weights must be 1-d of one length, got {v.shape}, {w.shape}')
    if not 0 < confidence < 1 or num_resamples < 1:
        raise ValueError(
            f'need 0 < confidence < 1 and num_resamples >= 1, got {confidence}, {num_resamples}'
        )
    keep = np.isfinite(v) & (w > 0)
    v, w = v[keep], w[keep]
    if v.size == 0:
        raise ValueError('no image with a finite score to resample')
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, v.size, size=(num_resamples, v.size))
    resampled = (v[picks] * w[picks]).sum(axis=1) / w[picks].sum(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(resampled, [tail, 100 - tail])
    return BootstrapInterval(
        value=float((v * w).sum() / w.sum()),
        low=float(low),
        high=float(high),
        num_images=int(v.size),
        num_resamples=num_resamples,
        confidence=confidence,
    )
