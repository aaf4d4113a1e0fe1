"""Kim et al.'s best-match segment mIoU: hand-computed cases, properties, BSDS500 calibration."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_data
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dynaseg.evaluation.functional import (
    best_match_iou,
    kim_image_scores,
    kim_miou,
    load_bsds_ground_truth,
    pooled_miou,
    select_annotations,
)


def test_best_match_hand_computed() -> None:
    gt = np.array([[1, 1, 2, 2], [1, 1, 2, 2]])
    pred = np.array([[0, 0, 0, 1], [0, 0, 0, 1]])
    # gt 1 (4 px) vs pred 0 (6 px): inter 4 -> 4 / (4 + 6 - 4) = 2/3; vs pred 1: 0.
    # gt 2 (4 px) vs pred 0: inter 2 -> 2 / 8 = 1/4; vs pred 1 (2 px): 2 / 4 = 1/2 -> best 1/2.
    np.testing.assert_allclose(best_match_iou(pred, gt), [2 / 3, 1 / 2])


def test_one_segment_prediction_scores_segment_fractions() -> None:
    gt = np.array([[0, 0, 0, 1], [0, 0, 0, 2]])
    # A blank prediction is the whole image: each gt segment s scores |s| / 8.
    np.testing.assert_allclose(best_match_iou(np.zeros_like(gt), gt), [6 / 8, 1 / 8, 1 / 8])


def test_ignore_index_removes_pixels_from_both_areas() -> None:
    gt = np.array([[255, 0, 0], [255, 1, 1]])
    pred = np.array([[5, 5, 5], [5, 6, 6]])
    # Without the two void pixels pred 5 covers 2 px (exactly gt 0) and pred 6 exactly gt 1.
    np.testing.assert_allclose(best_match_iou(pred, gt, ignore_index=255), [1.0, 1.0])
    # Counting the void pixels would put pred 5 at 4 px: gt 0 -> 2/4, and 255 becomes a segment.
    np.testing.assert_allclose(best_match_iou(pred, gt), [0.5, 1.0, 2 / 4])
    assert best_match_iou(pred, np.full_like(gt, 255), ignore_index=255).size == 0


def test_relabelling_on_by_default_and_switchable() -> None:
    gt = np.array([[1, 2, 1]])
    pred = np.array([[0, 1, 0]])
    # Relabelled, pred 0 splits into two 1-px segments: gt 1 (2 px) best = 1/2; gt 2 = 1.
    np.testing.assert_allclose(kim_image_scores(pred, gt), [0.5, 1.0])
    np.testing.assert_allclose(kim_image_scores(pred, gt, relabel=False), [1.0, 1.0])


def test_modes_select_all_fine_coarse() -> None:
    coarse = np.array([[1, 1, 2, 2]])
    fine = np.array([[1, 2, 3, 4]])
    middle = np.array([[1, 1, 1, 2]])
    gts = [middle, fine, coarse]
    assert len(select_annotations(gts, 1)) == 3
    assert select_annotations(gts, 2)[0] is fine
    assert select_annotations(gts, 3)[0] is middle  # tie (2 segments each): the first wins
    pred = np.array([[0, 0, 1, 1]])
    # fine: four 1-px segments each best 1/2; coarse-most ("middle"): {1,1,1} vs pred 0 -> 2/3,
    # {2} vs pred 1 -> 1/2; "coarse" itself would be a perfect match.
    np.testing.assert_allclose(kim_image_scores(pred, gts, mode=2), [0.5] * 4)
    np.testing.assert_allclose(kim_image_scores(pred, gts, mode=3), [2 / 3, 1 / 2])
    assert kim_image_scores(pred, gts, mode=1).size == 2 + 4 + 2
    with pytest.raises(ValueError, match='mode'):
        select_annotations(gts, 4)


def test_pooled_mean_weights_segments_not_images() -> None:
    result = pooled_miou([np.array([1.0]), np.array([0.0, 0.0, 0.0])])
    # Pooled: (1 + 0 + 0 + 0) / 4 = 0.25, not the per-image mean (1 + 0) / 2.
    assert result == {'mIoU': 0.25, 'num_images': 2, 'num_segments': 4}
    assert np.isnan(pooled_miou([])['mIoU'])


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match='shape'):
        kim_image_scores(np.zeros((2, 3), int), np.zeros((3, 2), int))


def test_sparse_and_dense_tables_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    gt = rng.integers(0, 6, (40, 50))
    pred = rng.integers(0, 30, (40, 50))
    dense = kim_image_scores(pred, gt)
    monkeypatch.setattr(kim_miou, '_DENSE_TABLE_LIMIT', 0)
    np.testing.assert_allclose(kim_image_scores(pred, gt), dense)


def test_large_or_negative_ids_are_fine() -> None:
    gt = np.array([[10**9, 10**9, -3]])
    pred = np.array([[-7, -7, 2**40]])
    np.testing.assert_allclose(best_match_iou(pred, gt), [1.0, 1.0])


maps = st.tuples(st.integers(1, 10), st.integers(1, 10)).flatmap(
    lambda shape: st.tuples(
        arrays(np.int64, shape, elements=st.integers(0, 4)),
        arrays(np.int64, shape, elements=st.integers(0, 4)),
    )
)


@settings(max_examples=80, deadline=None)
@given(pair=maps, seed=st.integers(0, 2**16), relabel=st.booleans())
def test_kim_properties(pair: tuple[np.ndarray, np.ndarray], seed: int, relabel: bool) -> None:
    pred, gt = pair
    scores = kim_image_scores(pred, gt, relabel=relabel)
    assert scores.shape == (len(np.unique(gt)),)
    assert np.all((scores >= 0) & (scores <= 1))
    perm = np.random.default_rng(seed).permutation(5) + 11
    # Renaming predicted labels changes nothing; renaming gt labels only reorders segments.
    np.testing.assert_allclose(kim_image_scores(perm[pred], gt, relabel=relabel), scores)
    np.testing.assert_allclose(
        np.sort(kim_image_scores(pred, perm[gt], relabel=relabel)), np.sort(scores)
    )
    # The ground truth itself (relabelled, so each segment is connected) scores 1 everywhere.
    np.testing.assert_allclose(kim_image_scores(gt, gt, relabel=False), 1.0)


def test_bsds500_blank_prediction_calibration() -> None:
    gt_dir = require_data('bsds500', 'groundTruth', 'test')
    files = sorted(gt_dir.glob('*.mat'))
    assert len(files) == 200
    gts = [load_bsds_ground_truth(f) for f in files]
    blank = [np.zeros(g[0].shape, np.int64) for g in gts]
    # Values from the project notes; segment counts from the annotations themselves.
    counts = [[len(np.unique(a)) for a in g] for g in gts]
    expected = {
        1: (0.0458, sum(map(sum, counts))),
        2: (0.0249, sum(map(max, counts))),
        3: (0.1001, sum(map(min, counts))),
    }
    for mode, (value, segments) in expected.items():
        result = pooled_miou([kim_image_scores(p, g, mode=mode) for p, g in zip(blank, gts)])
        assert round(result['mIoU'], 4) == value, mode
        assert result['num_images'] == 200
        assert result['num_segments'] == segments
