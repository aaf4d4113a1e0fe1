"""Paired differences and seed spreads between runs, recomputed from per-image score rows."""

import numpy as np
import pytest

from dynaseg.evaluation.comparison import (
    common_images,
    paired_difference,
    paired_mean_difference,
    pooled,
    seed_spread,
)


def rows(scores: dict[str, tuple[float, int]]) -> list[dict]:
    """Per-image rows as eval_results.pkl holds them; every mode gets the same (mIoU, count)."""
    return [
        {
            'img_id': i,
            **{f'{m}/mIoU': v for m in ('all', 'fine', 'coarse')},
            **{f'{m}/num_segments': n for m in ('all', 'fine', 'coarse')},
        }
        for i, (v, n) in scores.items()
    ]


def test_pooled_is_kims_segment_weighted_mean():
    run = rows({'a': (0.5, 2), 'b': (0.2, 8)})
    assert pooled(run, 'all') == pytest.approx((0.5 * 2 + 0.2 * 8) / 10)
    assert pooled(run, 'fine', ['a']) == pytest.approx(0.5)


def test_paired_difference_on_the_common_images_only():
    a = rows({'x': (0.6, 4), 'y': (0.4, 6), 'z': (0.9, 1)})
    b = rows({'y': (0.3, 6), 'x': (0.5, 4), 'w': (0.1, 3)})  # other order, other images
    assert common_images(a, b) == ['x', 'y']
    d = paired_difference(a, b, 'coarse', num_resamples=100)
    assert d.value == pytest.approx(0.1) and d.num_images == 2  # both images differ by 0.1
    assert d.low == pytest.approx(0.1) and d.high == pytest.approx(0.1)
    with pytest.raises(ValueError, match='segment counts'):
        paired_difference(a, rows({'x': (0.5, 5), 'y': (0.3, 6)}), 'all')
    with pytest.raises(ValueError, match='in common'):
        paired_difference(a, rows({'q': (0.5, 5)}), 'all')


def test_seed_spread_aggregates_each_seed_on_the_same_images():
    seeds = [
        rows({'x': (0.30, 1), 'y': (0.50, 1), 'z': (0.9, 1)}),
        rows({'x': (0.34, 1), 'y': (0.50, 1)}),  # a partial seed: z is left out for every seed
        rows({'x': (0.26, 1), 'y': (0.56, 1), 'z': (np.nan, 1)}),
    ]
    spread = seed_spread(seeds, 'all')
    assert spread.num_images == 2
    assert spread.values == pytest.approx((0.40, 0.42, 0.41))
    assert spread.mean == pytest.approx(0.41) and spread.std == pytest.approx(0.01)
    assert (spread.low, spread.high) == pytest.approx((0.40, 0.42))
    assert seed_spread(seeds[:1], 'fine').std == 0.0
    with pytest.raises(ValueError):
        seed_spread([rows({'x': (0.1, 1)}), rows({'y': (0.1, 1)})], 'all')


def mode_rows(per_image: dict[str, dict[str, tuple[float, int]]]) -> list[dict]:
    """Rows whose modes differ: ``{img_id: {mode: (mIoU, count)}}``."""
    return [
        {
            'img_id': i,
            **{f'{m}/mIoU': v for m, (v, _) in modes.items()},
            **{f'{m}/num_segments': n for m, (_, n) in modes.items()},
        }
        for i, modes in per_image.items()
    ]


def test_each_mode_has_its_own_known_difference():
    """b is a shifted by a mode's own amount on every image: each mode's paired interval sits
    exactly on that shift, and the pooled values weight by that mode's segment counts."""
    rng = np.random.default_rng(4)
    shift = {'all': 0.03, 'fine': -0.05, 'coarse': 0.11}
    ids = [f'{i:03d}' for i in range(30)]
    base = {i: {m: (rng.uniform(0.1, 0.7), int(rng.integers(1, 12))) for m in shift} for i in ids}
    a = mode_rows(base)
    b = mode_rows({i: {m: (v - shift[m], n) for m, (v, n) in base[i].items()} for i in ids})
    for mode, expected in shift.items():
        d = paired_difference(a, b, mode, num_resamples=200)
        assert d.num_images == 30
        for bound in (d.value, d.low, d.high):
            assert bound == pytest.approx(expected, abs=1e-12)
        values = np.array([base[i][mode][0] for i in ids])
        counts = np.array([base[i][mode][1] for i in ids])
        assert pooled(a, mode) == pytest.approx((values * counts).sum() / counts.sum())


def test_paired_difference_of_noisy_runs_holds_the_known_shift():
    """Noisy per-image gains of known mean 0.04 on 200 images: the interval holds 0.04 and
    excludes 0, and a run compared with itself differs by exactly 0."""
    rng = np.random.default_rng(5)
    ids = [f'{i:03d}' for i in range(200)]
    difficulty = rng.uniform(0.1, 0.7, 200)
    counts = rng.integers(1, 12, 200)
    gains = rng.normal(0.04, 0.02, 200)
    a = rows({i: (difficulty[k] + gains[k], int(counts[k])) for k, i in enumerate(ids)})
    b = rows({i: (difficulty[k], int(counts[k])) for k, i in enumerate(ids)})
    d = paired_difference(a, b, 'fine', num_resamples=1000, seed=1)
    assert d.value == pytest.approx((gains * counts).sum() / counts.sum())
    assert 0 < d.low < 0.04 < d.high < 0.05
    same = paired_difference(a, a, 'all', num_resamples=100)
    assert same.value == same.low == same.high == 0


def test_paired_mean_difference_is_that_of_plain_means_on_the_shared_images():
    """PRI/VOI-like scores (plain means over images, no weights): the value is the difference of
    the means on the images both runs scored; an image one run lacks (or has as NaN) is left
    out of both, and a constant per-image shift is the interval itself."""
    rng = np.random.default_rng(6)
    ids = [f'{i:03d}' for i in range(40)]
    score = dict(zip(ids, rng.uniform(0.5, 0.9, 40), strict=True))
    a = [{'img_id': i, 'bsds/PRI': score[i] + 0.02} for i in ids]
    b = [{'img_id': i, 'bsds/PRI': score[i]} for i in ids[1:]]  # the first image missing
    b[0]['bsds/PRI'] = float('nan')  # and the second not finite
    d = paired_mean_difference(a, b, 'bsds/PRI', num_resamples=300)
    assert d.num_images == 38
    for bound in (d.value, d.low, d.high):
        assert bound == pytest.approx(0.02, abs=1e-12)
    with pytest.raises(ValueError, match='no image with bsds/VOI'):
        paired_mean_difference(a, b, 'bsds/VOI')
