"""make_grid."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import piecewise_image

from dynaseg.visualization import colorize_labels, make_grid


def test_grid_layout_without_titles() -> None:
    image, regions = piecewise_image(48, 64)
    grid = make_grid([[image, colorize_labels(regions)], [image]], pad=4, background=255)
    assert grid.dtype == np.uint8
    assert grid.shape == (4 + 2 * (48 + 4), 4 + 2 * (64 + 4), 3)
    np.testing.assert_array_equal(grid[4:52, 4:68], image)
    assert (grid[56:104, 72:136] == 255).all()  # missing cell of the short row stays background


def test_grid_resizes_to_common_height_and_draws_titles() -> None:
    image, _ = piecewise_image(48, 64)
    small = image[::2, ::2]  # 24 x 32, upscaled by nearest neighbour to 48 x 64
    untitled = make_grid([[image, small]], pad=2)
    titled = make_grid(
        [[image, small]], titles=['input', 'a very long title for a narrow panel é'], pad=2
    )
    assert untitled.shape == (2 + 48 + 2, 2 + 64 + 2 + 64 + 2, 3)
    np.testing.assert_array_equal(untitled[2:50, 68:132], np.repeat(np.repeat(small, 2, 0), 2, 1))
    band = titled.shape[0] - untitled.shape[0]
    assert band > 0 and titled.shape[1] == untitled.shape[1]
    assert (titled[:band] < 128).any()  # some dark title text was drawn
    np.testing.assert_array_equal(titled[band:], untitled)


def test_grid_errors() -> None:
    image, _ = piecewise_image(8, 8)
    with pytest.raises(ValueError, match='titles'):
        make_grid([[image, image]], titles=['one'])
    with pytest.raises(ValueError):
        make_grid([])
