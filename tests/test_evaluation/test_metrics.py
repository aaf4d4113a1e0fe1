"""Registered mmengine metrics: built from config dicts, fed SegDataSample-like dicts."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import scipy.io
import torch

import dynaseg.evaluation.metrics  # noqa: F401  (registers the metrics)
from dynaseg.registry import METRICS


def _sample(pred: np.ndarray, gt_path: Path | None, key: str = 'gt_path') -> dict:
    sample = {'img_path': 'x.jpg', 'pred_sem_seg': {'data': torch.from_numpy(pred)[None]}}
    if gt_path is not None:
        sample[key] = str(gt_path)
    return sample


def _write_mat(path: Path, annotations: list[np.ndarray]) -> Path:
    cells = np.empty((1, len(annotations)), dtype=object)
    for k, seg in enumerate(annotations):
        cells[0, k] = {'Segmentation': seg.astype(np.uint16), 'Boundaries': seg > 0}
    scipy.io.savemat(path, {'groundTruth': cells})
    return path


def test_kim_metric_bsds_modes(tmp_path: Path) -> None:
    fine = np.array([[1, 2, 3, 4]])
    coarse = np.array([[1, 1, 2, 2]])
    mat = _write_mat(tmp_path / 'a.mat', [fine, coarse])
    pred = np.array([[0, 0, 1, 1]])
    expected = {1: (4 * 0.5 + 2 * 1.0) / 6, 2: 0.5, 3: 1.0}  # fine segments 1/2 each, coarse 1
    for mode, value in expected.items():
        metric = METRICS.build({'type': 'KimSegmentMIoU', 'dataset': 'bsd500', 'mode': mode})
        metric.process({}, [_sample(pred, mat)])
        result = metric.evaluate(1)
        assert result['kim/mIoU'] == pytest.approx(value)
        assert result['kim/num_images'] == 1


def test_kim_metric_voc_ignores_void_and_reads_seg_map_path(tmp_path: Path) -> None:
    gt = np.array([[0, 0, 255], [1, 1, 255]], np.uint8)
    cv2.imwrite(str(tmp_path / 'g.png'), gt)
    pred = np.array([[3, 3, 3], [4, 4, 3]])
    metric = METRICS.build({'type': 'KimSegmentMIoU', 'dataset': 'voc'})
    metric.process({}, [_sample(pred, tmp_path / 'g.png', key='seg_map_path')])
    # Void column dropped: pred 3 = {row 0} exactly gt 0, pred 4 exactly gt 1.
    assert metric.evaluate(1) == {'kim/mIoU': 1.0, 'kim/num_images': 1, 'kim/num_segments': 2}


def test_metric_size_mismatch_and_resize(tmp_path: Path) -> None:
    mat = _write_mat(tmp_path / 'a.mat', [np.array([[1, 1, 2, 2], [1, 1, 2, 2]])])
    pred = np.array([[0, 1]])
    metric = METRICS.build({'type': 'KimSegmentMIoU'})
    with pytest.raises(ValueError, match='resize_pred'):
        metric.process({}, [_sample(pred, mat)])
    metric = METRICS.build({'type': 'KimSegmentMIoU', 'resize_pred': True})
    metric.process({}, [_sample(pred, mat)])
    assert metric.evaluate(1)['kim/mIoU'] == 1.0


def test_metric_without_ground_truth_names_the_key() -> None:
    metric = METRICS.build({'type': 'KimSegmentMIoU'})
    with pytest.raises(KeyError, match='gt_path'):
        metric.process({}, [_sample(np.zeros((2, 2), np.int64), None)])


def test_cocostuff_metric_protocols(tmp_path: Path) -> None:
    # Fine ids: 0 person -> coarse 9 (thing), 91 banner -> coarse 17 (stuff), 255 ignored.
    gt = np.array([[0, 0, 91, 255]], np.uint8)
    cv2.imwrite(str(tmp_path / 'g.png'), gt)
    pred = np.array([[5, 7, 7, 7]])
    prefix = 'cocostuff27'
    for protocol in ('a', 'per_image', 'c'):
        metric = METRICS.build({'type': 'CocoStuffMetric', 'protocol': protocol})
        metric.process({}, [_sample(pred, tmp_path / 'g.png')])
        result = metric.evaluate(1)
        # Cluster 7 covers (class 9: 1 px, class 17: 1 px), cluster 5 (class 9: 1 px); the best
        # matching is 5 -> 9 and 7 -> 17: TP 2 of 3 labelled pixels; IoU 1/2 for both classes.
        assert result[f'{prefix}/pixel_accuracy'] == pytest.approx(2 / 3)
        assert result[f'{prefix}/mIoU'] == pytest.approx(0.5)
        assert result[f'{prefix}/num_images'] == 1
    with pytest.raises(ValueError, match='protocol'):
        METRICS.build({'type': 'CocoStuffMetric', 'protocol': 'd'})


def test_bsds_region_metric(tmp_path: Path) -> None:
    gt = np.array([[1, 1, 1, 2]])
    mat = _write_mat(tmp_path / 'a.mat', [gt])
    pred = np.array([[0, 0, 5, 5]])  # the seg of the hand-computed bench test, other ids
    metric = METRICS.build({'type': 'BSDSRegionMetric'})
    metric.process({}, [_sample(pred, mat)])
    result = metric.evaluate(1)
    assert result['bsds/PRI'] == pytest.approx(0.5)
    assert result['bsds/VOI'] == pytest.approx(1.188722, abs=1e-6)
    assert result['bsds/covering'] == pytest.approx(0.625)
    assert result['bsds/num_images'] == 1


# ----------------------------------------------------------------------------- per-image scores


def test_kim_image_scores_are_the_mean_over_the_images_segments(tmp_path: Path) -> None:
    fine = np.array([[1, 2, 3, 4]])
    mat = _write_mat(tmp_path / 'a.mat', [fine, np.array([[1, 1, 2, 2]])])
    metric = METRICS.build({'type': 'KimSegmentMIoU', 'dataset': 'bsd500', 'mode': 2})
    metric.process({}, [_sample(np.array([[0, 0, 1, 1]]), mat)])
    # Four fine segments of 1 px, each best matched by a 2-px cluster: IoU 1/2 each.
    assert metric.image_scores(metric.results[0]) == {'mIoU': 0.5, 'num_segments': 4}
    assert metric.image_scores(np.array([0.25, 1.0])) == {'mIoU': 0.625, 'num_segments': 2}
    empty = metric.image_scores(np.array([]))
    assert np.isnan(empty['mIoU']) and empty['num_segments'] == 0


def test_bsds_image_scores_are_pri_voi_and_covering(tmp_path: Path) -> None:
    mat = _write_mat(tmp_path / 'a.mat', [np.array([[1, 1, 1, 2]])])
    metric = METRICS.build({'type': 'BSDSRegionMetric'})
    metric.process({}, [_sample(np.array([[0, 0, 5, 5]]), mat)])
    scores = metric.image_scores(metric.results[0])
    # The same hand-computed image as test_bsds_region_metric: one image, so its own scores.
    assert scores == pytest.approx({'PRI': 0.5, 'VOI': 1.188722, 'covering': 0.625}, abs=1e-6)
    hand = {'pri': 0.8, 'voi': 1.5, 'cnt_r': 30.0, 'sum_r': 40.0, 'cnt_p': 1.0, 'sum_p': 2.0}
    assert metric.image_scores(hand) == {'PRI': 0.8, 'VOI': 1.5, 'covering': 0.75}
    assert np.isnan(metric.image_scores(dict(hand, cnt_r=0.0, sum_r=0.0))['covering'])


def test_cocostuff_image_scores_exist_under_protocol_b_only() -> None:
    from dynaseg.evaluation.functional.cocostuff import cluster_confusion

    # Coarse classes: 0 is a thing, 12 a stuff class. Cluster 5 covers (0: 2 px, 12: 1 px),
    # cluster 7 (12: 1 px); the match is 5 -> 0, 7 -> 12. Class 0: TP 2, FP 1, FN 0 -> IoU 2/3;
    # class 12: TP 1, FP 0, FN 1 -> IoU 1/2; 3 of 4 pixels right.
    confusion = cluster_confusion(np.array([[5, 5, 5, 7]]), np.array([[0, 0, 12, 12]]))
    metric = METRICS.build({'type': 'CocoStuffMetric', 'protocol': 'b'})
    assert metric.image_scores(confusion) == pytest.approx(
        {'mIoU': 7 / 12, 'thing_mIoU': 2 / 3, 'stuff_mIoU': 1 / 2, 'pixel_accuracy': 3 / 4}
    )
    for protocol in ('a', 'c'):
        metric = METRICS.build({'type': 'CocoStuffMetric', 'protocol': protocol})
        assert metric.image_scores(confusion) is None
