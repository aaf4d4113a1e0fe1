"""Comparing runs scored on the same BSDS500 images: paired differences and the seed spread.

Both work on the per-image score rows that the dataset runner pickles (``eval_results.pkl``:
``img_id``, ``<mode>/mIoU`` and ``<mode>/num_segments`` for the modes all / fine / coarse). Kim's
pooled mIoU of a set of images is the mean of their per-image mIoUs weighted by their ground-truth
segment counts, so every aggregate here is recomputed from rows, on exactly the images compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .bootstrap import BootstrapInterval, paired_bootstrap_ci
from .functional.kim_miou import BSDS_MODES

__all__ = [
    'MODES',
    'SeedSpread',
    'common_images',
    'paired_difference',
    'paired_mean_difference',
    'pooled',
    'seed_spread',
]

#: Kim et al.'s three BSDS500 modes: all annotations, the finest, the coarsest.
MODES = tuple(BSDS_MODES.values())

Rows = Sequence[Mapping[str, Any]]


def common_images(*runs: Rows, keys: Sequence[str] | None = None) -> list[str]:
    """The image ids every run scored (a finite value of every one of ``keys``; default: the
    mIoU of every mode), in the first run's order."""
    keys = [f'{mode}/mIoU' for mode in MODES] if keys is None else keys

    def scored(rows: Rows) -> set[str]:
        return {row['img_id'] for row in rows if all(np.isfinite(row.get(k, np.nan)) for k in keys)}

    keep = set.intersection(*(scored(rows) for rows in runs)) if runs else set()
    return [row['img_id'] for row in runs[0] if row['img_id'] in keep] if runs else []


def _column(rows: Rows, ids: Sequence[str], key: str) -> np.ndarray:
    by_id = {row['img_id']: row for row in rows}
    return np.array([by_id[i][key] for i in ids], np.float64)


def pooled(rows: Rows, mode: str, ids: Sequence[str] | None = None) -> float:
    """Kim's pooled mIoU of ``mode`` over ``ids`` (default: every row): per-image mIoUs weighted
    by ground-truth segment counts."""
    ids = [row['img_id'] for row in rows] if ids is None else ids
    values = _column(rows, ids, f'{mode}/mIoU')
    weights = _column(rows, ids, f'{mode}/num_segments')
    return float((values * weights).sum() / weights.sum())


def paired_difference(
    rows_a: Rows, rows_b: Rows, mode: str, num_resamples: int = 2000, seed: int = 0
) -> BootstrapInterval:
    """Paired bootstrap interval of pooled(a) - pooled(b) in ``mode`` on the images both scored.

    Raises:
        ValueError: no image in common, or an image whose ground-truth segment count differs
            between the two runs (then they were not scored against the same ground truth).
    """
    ids = common_images(rows_a, rows_b)
    if not ids:
        raise ValueError('the two runs have no scored image in common')
    weights = _column(rows_a, ids, f'{mode}/num_segments')
    if not np.array_equal(weights, _column(rows_b, ids, f'{mode}/num_segments')):
        raise ValueError(f'{mode}: ground-truth segment counts differ between the runs')
    return paired_bootstrap_ci(
        _column(rows_a, ids, f'{mode}/mIoU'),
        _column(rows_b, ids, f'{mode}/mIoU'),
        weights,
        num_resamples=num_resamples,
        seed=seed,
    )


def paired_mean_difference(
    rows_a: Rows,
    rows_b: Rows,
    key: str,
    num_resamples: int = 2000,
    seed: int = 0,
    weights: Mapping[str, float] | None = None,
) -> BootstrapInterval:
    """Paired bootstrap interval of mean(a) - mean(b) of a per-image score ``key`` on the
    images both runs scored it: a plain mean over images (``bsds/PRI``, ``bsds/VOI``), or with
    ``weights`` (image id -> a weight both runs share) a weighted mean over the images that
    have one: the ratio a score pooled over images is (``bsds/covering``, weighted by each
    image's annotated area).

    Raises:
        ValueError: no image where both runs have a finite ``key`` (and a weight).
    """
    ids = common_images(rows_a, rows_b, keys=[key])
    ids = ids if weights is None else [i for i in ids if i in weights]
    if not ids:
        raise ValueError(f'the two runs have no image with {key} in common')
    return paired_bootstrap_ci(
        _column(rows_a, ids, key),
        _column(rows_b, ids, key),
        None if weights is None else [weights[i] for i in ids],
        num_resamples=num_resamples,
        seed=seed,
    )


@dataclass(frozen=True)
class SeedSpread:
    """One mode's pooled mIoU per seed on the images every seed scored, and their spread."""

    values: tuple[float, ...]
    mean: float
    std: float  # sample standard deviation (ddof=1); 0 for one seed
    num_images: int

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)


def seed_spread(runs: Sequence[Rows], mode: str) -> SeedSpread:
    """The spread over seeds (one row list per seed) of ``mode``'s pooled mIoU, each seed
    aggregated over the same images: those all seeds scored.

    Raises:
        ValueError: no run, or no image every run scored.
    """
    ids = common_images(*runs)
    if not ids:
        raise ValueError('no image scored by every seed')
    values = tuple(pooled(rows, mode, ids) for rows in runs)
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return SeedSpread(values, float(np.mean(values)), std, len(ids))
