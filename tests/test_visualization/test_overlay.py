"""overlay and label_boundaries."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import piecewise_image

from dynaseg.visualization import colorize_labels, label_boundaries, overlay


def test_boundaries_follow_label_changes() -> None:
    labels = np.zeros((4, 5), int)
    labels[:, 3:] = 1
    edge = label_boundaries(labels)
    assert edge.dtype == bool
    assert edge[:, 2].all() and edge.sum() == 4
    assert not label_boundaries(np.zeros((3, 3), int)).any()


def test_overlay_blend_and_outline() -> None:
    image, regions = piecewise_image()
    out = overlay(image, regions, alpha=0.5, draw_boundaries=False)
    assert out.shape == image.shape and out.dtype == np.uint8
    expected = np.rint(0.5 * image + 0.5 * colorize_labels(regions)).astype(np.uint8)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(overlay(image, regions, alpha=0.0, draw_boundaries=False), image)
    outlined = overlay(image, regions, boundary_color=(1, 2, 3))
    edge = label_boundaries(regions)
    assert (outlined[edge] == [1, 2, 3]).all()
    np.testing.assert_array_equal(outlined[~edge], out[~edge])


def test_overlay_accepts_grey_and_checks_sizes() -> None:
    labels = np.zeros((3, 4), int)
    assert overlay(np.zeros((3, 4), np.uint8), labels).shape == (3, 4, 3)
    with pytest.raises(ValueError, match='differ'):
        overlay(np.zeros((3, 5, 3), np.uint8), labels)
    with pytest.raises(ValueError, match='alpha'):
        overlay(np.zeros((3, 4, 3), np.uint8), labels, alpha=1.5)
