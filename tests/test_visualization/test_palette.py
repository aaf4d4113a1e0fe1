"""palette and colorize_labels."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import piecewise_image

from dynaseg.visualization import colorize_labels, palette


@pytest.mark.parametrize('n', [0, 1, 3, 27, 256, 5000])
def test_palette_distinct_and_deterministic(n: int) -> None:
    colours = palette(n)
    assert colours.shape == (n, 3) and colours.dtype == np.uint8
    assert len(np.unique(colours, axis=0)) == n
    np.testing.assert_array_equal(colours, palette(n))


def test_palette_prefix_stable_and_seeded() -> None:
    np.testing.assert_array_equal(palette(10), palette(100)[:10])
    assert not np.array_equal(palette(10, seed=0), palette(10, seed=1))
    with pytest.raises(ValueError):
        palette(-1)


def test_palette_first_colours_far_apart() -> None:
    colours = palette(6).astype(int)
    distances = np.abs(colours[:, None] - colours[None]).sum(-1)
    assert distances[~np.eye(6, dtype=bool)].min() > 60


def test_colorize_distinct_labels_distinct_colours() -> None:
    _, regions = piecewise_image()
    rgb = colorize_labels(regions)
    assert rgb.shape == regions.shape + (3,) and rgb.dtype == np.uint8
    colours = {tuple(rgb[regions == k][0]) for k in range(4)}
    assert len(colours) == 4
    for k in range(4):  # one colour per label
        assert len(np.unique(rgb[regions == k], axis=0)) == 1


def test_colorize_by_value_large_ids_and_negative() -> None:
    labels = np.array([[0, 5], [5, -1]])
    rgb = colorize_labels(labels)
    np.testing.assert_array_equal(rgb[0, 1], palette(6)[5])  # same id, same colour everywhere
    assert rgb[1, 1].tolist() == [0, 0, 0]
    big = np.array([[0, 10**7], [10**7, 3]])
    rgb = colorize_labels(big)
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) == 3
    assert colorize_labels(np.full((2, 2), -1)).max() == 0


def test_colorize_custom_colours_and_errors() -> None:
    colours = np.array([[1, 2, 3], [4, 5, 6]], np.uint8)
    rgb = colorize_labels(np.array([[1, 0]]), colours)
    assert rgb.tolist() == [[[4, 5, 6], [1, 2, 3]]]
    with pytest.raises(ValueError):
        colorize_labels(np.array([[2]]), colours)
    with pytest.raises(ValueError):
        colorize_labels(np.zeros((2, 2), np.float32))
