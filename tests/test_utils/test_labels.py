"""Connected-component relabelling, consecutive ids and nearest resize of label maps."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dynaseg.utils.labels import (
    relabel_connected_components,
    resize_nearest,
    to_consecutive,
)


def test_relabel_splits_disconnected_regions_of_one_label() -> None:
    labels = np.array([[0, 0, 1, 0], [1, 1, 1, 0], [0, 0, 1, 2]])
    # Label 0 forms three 4-connected regions (top-left pair, right column, bottom-left pair),
    # label 1 one region, label 2 one region: 5 segments, numbered in raster order.
    expected = np.array([[0, 0, 1, 2], [1, 1, 1, 2], [3, 3, 1, 4]])
    out = relabel_connected_components(labels)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, expected)


def test_relabel_connectivity_two_joins_diagonals() -> None:
    labels = np.array([[5, 0], [0, 5]])
    # 4-connectivity: every pixel alone (4 segments); 8-connectivity: two diagonal pairs.
    assert relabel_connected_components(labels, connectivity=1).max() == 3
    np.testing.assert_array_equal(
        relabel_connected_components(labels, connectivity=2), [[0, 1], [1, 0]]
    )


@pytest.mark.parametrize(
    'labels, expected',
    [
        (np.array([[7]]), [[0]]),
        (np.array([[3, 3, 4, 3]]), [[0, 0, 1, 2]]),
        (np.array([[1], [2], [1]]), [[0], [1], [2]]),
        (np.array([[-4, -4, 9]]), [[0, 0, 1]]),
    ],
)
def test_relabel_thin_maps_and_negative_values(labels: np.ndarray, expected: list) -> None:
    np.testing.assert_array_equal(relabel_connected_components(labels), expected)


def test_relabel_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match='2-D'):
        relabel_connected_components(np.zeros(5, int))
    with pytest.raises(ValueError, match='connectivity'):
        relabel_connected_components(np.zeros((2, 2), int), connectivity=3)
    with pytest.raises(ValueError, match='integer'):
        relabel_connected_components(np.full((2, 2), 0.5))


def test_to_consecutive_keeps_order() -> None:
    labels = np.array([[10, -1], [10, 300]])
    out = to_consecutive(labels)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[1, 0], [1, 2]])


@pytest.mark.parametrize('size', [(100, 70), (20, 11), (37, 53), (1, 1), (5, 200)])
def test_resize_nearest_matches_opencv(size: tuple[int, int]) -> None:
    labels = np.random.default_rng(0).integers(0, 50, (37, 53))
    expected = cv2.resize(
        labels.astype(np.uint8), (size[1], size[0]), interpolation=cv2.INTER_NEAREST
    )
    out = resize_nearest(labels, size)
    assert out.dtype == labels.dtype
    np.testing.assert_array_equal(out, expected)


label_maps = arrays(
    np.int64, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.integers(0, 3)
)


@settings(max_examples=60, deadline=None)
@given(labels=label_maps, seed=st.integers(0, 2**16))
def test_relabel_properties(labels: np.ndarray, seed: int) -> None:
    out = relabel_connected_components(labels)
    # Ids are consecutive from 0.
    assert set(np.unique(out)) == set(range(out.max() + 1))
    # A segment never spans two input labels, and refines the input partition.
    for seg in range(out.max() + 1):
        assert len(np.unique(labels[out == seg])) == 1
    # Permuting the input label values gives the same partition (same ids in raster order).
    perm = np.random.default_rng(seed).permutation(4) + 100
    np.testing.assert_array_equal(relabel_connected_components(perm[labels]), out)
    # Idempotent.
    np.testing.assert_array_equal(relabel_connected_components(out), out)


def test_in_raster_order_numbers_labels_by_first_appearance() -> None:
    from dynaseg.utils.labels import in_raster_order

    labels = np.array([[7, 7, 2], [5, 2, 2], [5, 9, 9]])
    np.testing.assert_array_equal(in_raster_order(labels), [[0, 0, 1], [2, 1, 1], [2, 3, 3]])
    shuffled = np.array([40, 10, 30, 20])[in_raster_order(labels)]  # same partition, other ids
    np.testing.assert_array_equal(in_raster_order(shuffled), in_raster_order(labels))
