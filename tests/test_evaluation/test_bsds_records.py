"""The whole BSDS benchmark, hand-computed: ucm2 cuts, boundaries, maxF, AP, records, summaries."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dynaseg.evaluation.functional import (
    average_precision,
    bsds_text_files,
    bsds_thresholds,
    check_ucm2,
    evaluate_label_map,
    evaluate_segmentation_set,
    evaluate_ucm2,
    f_measure,
    interpolated_max_f,
    region_benchmark,
    segmentation_boundaries,
    summarise,
    summarise_boundaries,
    ucm2_boundary_strength,
    ucm2_segmentation,
)


def test_thresholds_are_the_benchmarks() -> None:
    t = bsds_thresholds(5)
    np.testing.assert_allclose(t, np.arange(1, 6) / 6, rtol=0, atol=1e-15)
    assert t[0] == 1 / 6 and t[-1] == 1 - 1 / 6
    t99 = bsds_thresholds()
    assert t99.size == 99 and np.all(np.diff(t99) > 0)
    np.testing.assert_allclose(t99, np.arange(1, 100) / 100, rtol=0, atol=1e-15)
    assert bsds_thresholds(1).tolist() == [0.5]
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match='thresholds'):
            bsds_thresholds(bad)


def _ucm2_two_by_two(edges: float, junction: float) -> np.ndarray:
    """A 2x2 image, each pixel its own region: the four inner edges and where they meet the frame
    at ``edges``, the centre junction at ``junction``."""
    ucm2 = np.zeros((5, 5))
    ucm2[2, :] = ucm2[:, 2] = edges
    ucm2[2, 2] = junction
    return ucm2


def test_ucm2_cut_connectivity() -> None:
    # Edges at 0.5 and a junction at 0: under 8-connectivity the junction touches all four
    # pixels diagonally and joins them below 0.5, as MATLAB's bwlabel does; under 4 it does not.
    ucm2 = _ucm2_two_by_two(0.5, 0.0)
    assert np.all(ucm2_segmentation(ucm2, 0.3) == 1)
    four = ucm2_segmentation(ucm2, 0.3, connectivity=4)
    np.testing.assert_array_equal(four, [[1, 2], [3, 4]])
    # With the junction as strong as the edges, the pixels stay apart either way.
    np.testing.assert_array_equal(ucm2_segmentation(_ucm2_two_by_two(0.5, 0.5), 0.3), four)
    # At or above the edge strength everything is one region; labels always start at 1.
    assert np.all(ucm2_segmentation(ucm2, 0.5) == 1)
    with pytest.raises(ValueError, match='connectivity'):
        ucm2_segmentation(ucm2, 0.5, connectivity=6)


def test_ucm2_boundaries_and_checks() -> None:
    ucm2 = _ucm2_two_by_two(0.5, 0.7)
    # The benchmark's boundary map: the junction cells ucm2[2::2, 2::2], one per pixel.
    np.testing.assert_array_equal(ucm2_boundary_strength(ucm2), [[0.7, 0.5], [0.5, 0.0]])
    assert check_ucm2(ucm2, (2, 2)).dtype == np.float64
    with pytest.raises(ValueError, match='odd sides'):
        check_ucm2(np.zeros((4, 5)))
    with pytest.raises(ValueError, match='image size'):
        check_ucm2(ucm2, (3, 2))
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        check_ucm2(ucm2 * 2)
    with pytest.raises(ValueError, match='NaN'):
        check_ucm2(np.full((3, 3), np.nan))


def test_segmentation_boundaries_as_seg2bdry() -> None:
    seg = np.array([[1, 1, 2], [1, 1, 2], [3, 3, 3]])
    # Pixel (i, j) marks the junction below-right of it: (0, 1) sees the 1|2 edges, row 1 the
    # 1/2 over 3 edges; the last row / column keep only changes along them (none here but
    # (1, 2), where 2 sits above 3), and the corner is never a boundary.
    expected = np.array([[0, 1, 0], [1, 1, 1], [0, 0, 0]], bool)
    np.testing.assert_array_equal(segmentation_boundaries(seg), expected)
    assert not segmentation_boundaries(np.ones((4, 3))).any()


def test_f_measure_and_max_f() -> None:
    assert f_measure(0.0, 0.0) == 0.0
    assert f_measure(0.5, 1.0) == pytest.approx(2 / 3)
    # From (R, P) = (1, 0) at threshold 1 to (0, 1) at threshold 2, F = 2d(1 - d) on the
    # segment; of the 100 points of linspace(0, 1) the best are d = 49/99 and 50/99 (equal
    # but for rounding), and the point carries its threshold, recall and precision.
    t, r, p, f = interpolated_max_f(np.array([1.0, 2.0]), np.array([1.0, 0.0]), np.array([0, 1.0]))
    d = t - 1
    assert round(d * 99) in (49, 50) and d == pytest.approx(round(d * 99) / 99)
    assert (r, p) == (pytest.approx(1 - d), pytest.approx(d))
    assert f == pytest.approx(2 * 49 * 50 / 99**2)
    # A single threshold is its own best point.
    assert interpolated_max_f(np.array([1.0]), np.array([0.5]), np.array([1.0]))[3] == (
        pytest.approx(2 / 3)
    )


def test_average_precision_hand_computed() -> None:
    # Precision falls linearly from 1 at recall 0.205 to 0.5 at 0.605; the 40 samples
    # 0.21 .. 0.60 sum to 40 - 1.25 * 8 = 30, the other 61 of 0, 0.01, .., 1 count 0.
    assert average_precision([0.605, 0.205], [0.5, 1.0]) == pytest.approx(0.30)
    assert average_precision([0.4, 0.4], [0.2, 0.9]) == 0.0


def test_summarise_boundaries_ods_ois() -> None:
    # Two images, two thresholds. Image 0 is best at threshold 1, image 1 at threshold 2.
    cnt_r = np.array([[8, 2], [1, 9]])
    sum_r = np.array([[10, 10], [10, 10]])
    cnt_p = np.array([[8, 2], [1, 9]])
    sum_p = np.array([[10, 10], [10, 10]])
    result = summarise_boundaries(np.array([1.0, 2.0]), cnt_r, sum_r, cnt_p, sum_p)
    # Dataset curve: R = P = 0.45 at 1 and 0.55 at 2; F is best at threshold 2.
    assert result['ods']['threshold'] == 2.0 and result['ods']['f'] == pytest.approx(0.55)
    # OIS sums each image's counts at its own best threshold: (8 + 9) / 20.
    assert result['ois']['f'] == pytest.approx(0.85)
    assert [row[0] for row in result['per_image']] == [1.0, 2.0]
    np.testing.assert_allclose(
        result['per_threshold'], [[1, 0.45, 0.45, 0.45], [2, 0.55, 0.55, 0.55]]
    )


def _toy_annotations() -> tuple[list[np.ndarray], list[np.ndarray]]:
    gt = np.array([[1, 1, 2, 2]] * 4)
    return [gt], [segmentation_boundaries(gt)]


def test_ucm2_record_regions_and_json(tmp_path) -> None:
    gt_segs, _ = _toy_annotations()
    # A 4x4 image split by a vertical boundary of strength 0.6 between columns 1 and 2.
    ucm2 = np.zeros((9, 9))
    ucm2[:, 4] = 0.6
    record = evaluate_ucm2(ucm2, gt_segs, None, 5, parts=('region',), image='toy')
    # Below 0.6 the cut is the ground truth (2 regions, covering 1); above it one region.
    assert record['region']['regions'] == [2, 2, 2, 1, 1]
    assert record['region']['pri'][:3] == [1.0, 1.0, 1.0]
    summary = summarise([record])
    assert summary['covering']['ods'] == {'threshold': pytest.approx(1 / 6), 'value': 1.0}
    assert summary['voi']['ods']['value'] == pytest.approx(0.0, abs=1e-12)
    assert 'boundary' not in summary and 'eval_bdry.txt' not in bsds_text_files(summary)
    # A record survives JSON unchanged, so a report can be summarised from saved records.
    path = tmp_path / 'toy.json'
    path.write_text(json.dumps(record))
    assert summarise([json.loads(path.read_text())]) == summary


def test_segmentation_set_matches_region_benchmark() -> None:
    gt_segs, _ = _toy_annotations()
    segs = [np.array([[1, 1, 2, 2]] * 4), np.ones((4, 4), int), np.array([[1, 2, 3, 4]] * 4)]
    summary = summarise([evaluate_segmentation_set(segs, gt_segs, None, parts=('region',))])
    old = region_benchmark([segs], [gt_segs])
    assert summary['covering']['ods']['value'] == old['covering_ods']
    assert summary['pri']['ois'] == old['pri_ois'] and summary['voi']['ois'] == old['voi_ois']
    assert summary['thresholds'] == [1.0, 2.0, 3.0]


def test_label_map_boundaries_match_the_ground_truth() -> None:
    gt_segs, gt_bdry = _toy_annotations()
    record = evaluate_label_map(gt_segs[0], gt_segs, gt_bdry)
    assert record['input'] == 'label_map' and record['thresholds'] == [1.0]
    # The prediction is the annotation: every boundary pixel matches.
    b = record['boundary']
    assert b['cnt_r'] == b['sum_r'] == b['cnt_p'] == b['sum_p'] == [4]
    summary = summarise([record])
    assert summary['boundary']['ods']['f'] == 1.0 and summary['covering']['ois'] == 1.0


def test_records_refuse_bad_input() -> None:
    gt_segs, gt_bdry = _toy_annotations()
    with pytest.raises(ValueError, match='boundary maps'):
        evaluate_label_map(gt_segs[0], gt_segs, None)
    with pytest.raises(ValueError, match='differs'):
        evaluate_label_map(np.ones((3, 4), int), gt_segs, gt_bdry)
    with pytest.raises(ValueError, match='parts'):
        evaluate_label_map(gt_segs[0], gt_segs, gt_bdry, parts=('edges',))
    with pytest.raises(ValueError, match='>= 0'):
        evaluate_segmentation_set([-gt_segs[0]], gt_segs, gt_bdry)
    one = evaluate_label_map(gt_segs[0], gt_segs, None, parts=('region',), image='a')
    other = evaluate_segmentation_set([gt_segs[0]] * 2, gt_segs, None, parts=('region',), image='b')
    with pytest.raises(ValueError, match="records differ in thresholds: image 'b'"):
        summarise([one, other])
    with pytest.raises(ValueError, match='no records'):
        summarise([])
