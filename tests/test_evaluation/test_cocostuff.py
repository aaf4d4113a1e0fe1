"""COCO-Stuff-27 protocols (a) dataset, (b) per image, (c) per image summed: hand-computed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import require_data
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dynaseg.evaluation.functional import (
    cluster_confusion,
    cocostuff27_meta,
    cocostuff_scores,
    dataset_level_scores,
    fine_to_coarse,
    hungarian_match,
    matched_counts,
    per_image_scores,
    per_image_summed_scores,
    thing_class_mask,
)

STUFF = 12  # first stuff class (coarse ids 0-11 are things)


def test_shipped_mapping_matches_the_source_json() -> None:
    source = require_data('cocostuff', 'fine_to_coarse_dict.json')
    original = json.loads(source.read_text())
    meta = cocostuff27_meta()
    lut = meta['fine_index_to_coarse_index']
    assert lut == [original['fine_index_to_coarse_index'][str(i)] for i in range(182)]
    # Every fine name's coarse name (from the source) is the name we ship for its coarse id.
    for index, name in enumerate(meta['fine_names']):
        assert original['fine_name_to_coarse_name'][name] == meta['coarse_names'][lut[index]]
    assert all(n.endswith('-things') for n in meta['coarse_names'][:12])
    assert all(n.endswith('-stuff') for n in meta['coarse_names'][12:])
    assert thing_class_mask().sum() == 12


def test_fine_to_coarse() -> None:
    fine = np.array([[0, 91, 255], [181, 1, 0]])
    # person -> person-things (9), banner -> textile-stuff, wood -> solid-stuff, bicycle -> vehicle.
    names = cocostuff27_meta()['coarse_names']
    coarse = fine_to_coarse(fine)
    assert coarse[0, 2] == 255
    assert [names[c] for c in coarse.ravel() if c != 255] == [
        'person-things',
        'textile-stuff',
        'solid-stuff',
        'vehicle-things',
        'person-things',
    ]
    with pytest.raises(ValueError, match='0..181'):
        fine_to_coarse(np.array([[200]]))


def test_cluster_confusion_ignores_255_and_keeps_ids() -> None:
    pred = np.array([[7, 7, 3], [3, 9, 9]])
    gt = np.array([[0, 0, 1], [255, 1, 255]])
    ids, counts = cluster_confusion(pred, gt)
    # Cluster 9 keeps one labelled pixel, cluster 3 one; the 255 pixels are dropped.
    np.testing.assert_array_equal(ids, [3, 7, 9])
    assert counts.shape == (3, 27)
    assert counts[:, :2].tolist() == [[0, 1], [2, 0], [0, 1]]
    assert counts.sum() == 4


def test_hungarian_leaves_extra_clusters_unmatched() -> None:
    confusion = np.array([[5, 0], [4, 1], [0, 3]])
    # Best one-to-one: cluster 0 -> class 0 (5), cluster 2 -> class 1 (3); cluster 1 unmatched.
    np.testing.assert_array_equal(hungarian_match(confusion), [0, -1, 1])
    tp, fp, fn = matched_counts(confusion, hungarian_match(confusion))
    # Cluster 1's 5 pixels are wrong: FN for their classes (4 of class 0, 1 of class 1), no FP.
    assert tp.tolist() == [5, 3] and fp.tolist() == [0, 0] and fn.tolist() == [4, 1]


def _image(pred: list, gt: list) -> tuple[np.ndarray, np.ndarray]:
    return cluster_confusion(np.array(pred), np.array(gt))


def test_three_protocols_hand_computed() -> None:
    # Image A: clusters 0 and 1 on classes 0 (thing) and 12 (stuff); one pixel of cluster 1
    # lies on class 0. Image B: the cluster ids swap roles (1 on class 0, 0 on class 12).
    img_a = _image([[0, 0, 1, 1]], [[0, 0, 0, STUFF]])
    img_b = _image([[1, 1, 0, 0]], [[0, 0, STUFF, STUFF]])
    confusions = [img_a, img_b]

    # (a) summed confusion: cluster 0 = {class 0: 2, class 12: 2}, cluster 1 = {0: 3, 12: 1}.
    # Hungarian maximises 2 + 1 (0->12, 1->0 gives 2 + 3 = 5 > 2 + 1), so cluster 1 -> class 0,
    # cluster 0 -> class 12: TP = [3, 2], FP = [1, 2], FN = [2, 1].
    # IoU class 0 = 3 / 6 = 0.5, class 12 = 2 / 5 = 0.4; mIoU 0.45; accuracy 5/8.
    a = dataset_level_scores(confusions)
    assert a == pytest.approx(
        {
            'mIoU': 0.45,
            'thing_mIoU': 0.5,
            'stuff_mIoU': 0.4,
            'pixel_accuracy': 5 / 8,
            'num_images': 2,
        }
    )

    # (b) image A: 0->0, 1->12: class 0 IoU = 2/3, class 12 = 1/2 -> 7/12, accuracy 3/4.
    # image B: 1->0, 0->12, perfect: 1 and accuracy 1. Means over images.
    b = per_image_scores(confusions)
    assert b == pytest.approx(
        {
            'mIoU': (7 / 12 + 1) / 2,
            'thing_mIoU': (2 / 3 + 1) / 2,
            'stuff_mIoU': (1 / 2 + 1) / 2,
            'pixel_accuracy': (3 / 4 + 1) / 2,
            'num_images': 2,
            'num_images_thing': 2,
            'num_images_stuff': 2,
        }
    )

    # (c) per-image matches, totals: TP = [2 + 2, 1 + 2], FP = [0, 1], FN = [1, 0].
    # IoU class 0 = 4/5, class 12 = 3/4; accuracy 7/8.
    c = per_image_summed_scores(confusions)
    assert c == pytest.approx(
        {
            'mIoU': (4 / 5 + 3 / 4) / 2,
            'thing_mIoU': 0.8,
            'stuff_mIoU': 0.75,
            'pixel_accuracy': 7 / 8,
            'num_images': 2,
        }
    )
    assert cocostuff_scores(confusions, 'per_image_summed') == c
    with pytest.raises(ValueError, match='protocol'):
        cocostuff_scores(confusions, 'b')


def test_more_clusters_than_classes_count_as_wrong() -> None:
    # 30 one-pixel clusters over all 27 classes; class 12 holds 4 pixels (4 clusters).
    gt = np.concatenate([np.arange(27), [STUFF] * 3])[None]
    conf = [cluster_confusion(np.arange(30)[None] * 5, gt)]
    for protocol in ('dataset', 'per_image', 'per_image_summed'):
        scores = cocostuff_scores(conf, protocol)
        # 27 clusters matched (TP 27); 3 left over are wrong: FN 3 on class 12, no FP.
        # IoU 1 for 26 classes and 1/4 for class 12.
        assert scores['mIoU'] == pytest.approx((26 + 0.25) / 27), protocol
        assert scores['stuff_mIoU'] == pytest.approx((14 + 0.25) / 15), protocol
        assert scores['thing_mIoU'] == pytest.approx(1.0), protocol
        assert scores['pixel_accuracy'] == pytest.approx(27 / 30), protocol


def test_clusters_matched_to_absent_classes_count_in_dataset_protocols() -> None:
    # Fewer clusters than classes: every cluster gets a class, here an absent one for
    # clusters 0 and 1 (class 12 is taken by cluster 2). Their pixels are FN of class 12 and
    # FP of a class with no ground truth, whose IoU (0) the set-level protocols average in;
    # the per-image protocol averages only the classes present (class 12: 2/4).
    conf = [_image([[0, 1, 2, 2]], [[STUFF, STUFF, STUFF, STUFF]])]
    assert cocostuff_scores(conf, 'per_image')['mIoU'] == pytest.approx(0.5)
    for protocol in ('dataset', 'per_image_summed'):
        scores = cocostuff_scores(conf, protocol)
        assert scores['mIoU'] == pytest.approx(0.5 / 3), protocol
        assert scores['pixel_accuracy'] == pytest.approx(0.5), protocol


def test_absent_classes_and_empty_images() -> None:
    # Class 3 absent from gt but a cluster is matched to it (more classes than clusters is
    # fine): per-image mIoU only averages classes present in the image's ground truth.
    conf = [_image([[0, 0, 1]], [[5, 5, 5]]), _image([[4, 4]], [[255, 255]])]
    b = per_image_scores(conf)
    # cluster 0 -> class 5 (TP 2, FN 1); cluster 1 goes to some absent class (its FP is there).
    assert b['mIoU'] == pytest.approx(2 / 3)
    assert b['num_images'] == 1  # the all-255 image is not scored
    a = dataset_level_scores(conf)
    # Dataset level averages classes with non-empty union: class 5 (2/3) and the absent class
    # that received cluster 1 (IoU 0).
    assert a['mIoU'] == pytest.approx(1 / 3)
    assert a['num_images'] == 1
    assert np.isnan(dataset_level_scores([])['mIoU'])


def test_all_one_cluster_prediction() -> None:
    conf = [_image([[0, 0, 0, 0]], [[0, 0, 1, STUFF]])]
    # One cluster matched to class 0: TP 2, FP 2; classes 1 and 12 FN 1 each.
    # Per image: IoU 0 -> 2/4, 1 -> 0, 12 -> 0: mIoU 1/6, accuracy 1/2.
    b = per_image_scores(conf)
    assert b['mIoU'] == pytest.approx(1 / 6)
    assert b['thing_mIoU'] == pytest.approx(1 / 4) and b['stuff_mIoU'] == 0.0
    assert b['pixel_accuracy'] == pytest.approx(0.5)


gt_maps = st.tuples(st.integers(1, 8), st.integers(1, 8)).flatmap(
    lambda shape: st.tuples(
        arrays(np.int64, shape, elements=st.integers(0, 6)),
        arrays(np.int64, shape, elements=st.sampled_from([0, 3, 12, 20, 255])),
    )
)


@settings(max_examples=60, deadline=None)
@given(pair=gt_maps, seed=st.integers(0, 2**16))
def test_protocol_properties(pair: tuple[np.ndarray, np.ndarray], seed: int) -> None:
    pred, gt = pair
    perm = np.random.default_rng(seed).permutation(7) * 13 + 2
    for protocol in ('dataset', 'per_image', 'per_image_summed'):
        scores = cocostuff_scores([cluster_confusion(pred, gt)], protocol)
        renamed = cocostuff_scores([cluster_confusion(perm[pred], gt)], protocol)
        labelled = bool((gt != 255).any())
        assert scores['num_images'] == int(labelled)
        if not labelled:
            continue
        for key in ('mIoU', 'pixel_accuracy', 'thing_mIoU', 'stuff_mIoU'):
            value = scores[key]
            assert np.isnan(value) or 0 <= value <= 1
        # Renaming clusters cannot change the matched pixel count (the Hungarian optimum);
        # IoUs may differ between equally good matchings, so they are not compared.
        np.testing.assert_allclose(renamed['pixel_accuracy'], scores['pixel_accuracy'])
        # Ground truth used as the prediction scores 1 (any renaming of its classes).
        perfect = cocostuff_scores(
            [cluster_confusion(np.where(gt == 255, 0, gt) * 7 + 1, gt)], protocol
        )
        assert perfect['mIoU'] == pytest.approx(1.0)
        assert perfect['pixel_accuracy'] == pytest.approx(1.0)
