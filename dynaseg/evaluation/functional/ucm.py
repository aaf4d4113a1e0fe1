"""Ultrametric contour maps in the BSDS ``ucm2`` convention, cut as the BSDS500 benchmark cuts them.

A ``ucm2`` is a hierarchy of nested regions drawn at double resolution: for an (H, W) image it
is a (2H+1, 2W+1) map with values in [0, 1]. Pixel (i, j) of the image sits at (2i+1, 2j+1);
the cells between two pixels hold the strength of the boundary between them, the cells where
four pixels meet hold the strength of that junction, and the outer frame is a boundary too.

The benchmark (``evaluation_reg_image.m`` / ``evaluation_bdry_image.m``, Arbeláez et al., TPAMI
2011) reads a threshold ``t`` two ways, and so does this module:

- regions: ``bwlabel(ucm2 <= t)`` (8-connectivity unless asked otherwise), sampled at the
  image's pixels, ``[1::2, 1::2]``;
- boundaries: ``ucm2[2::2, 2::2] >= t``, the junction cells, one per image pixel.

Thresholds are the benchmark's ``linspace(1/(n+1), 1-1/(n+1), n)``: 99 by default.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: The benchmark's default number of thresholds for soft inputs (ucm2 and boundary maps).
DEFAULT_NUM_THRESHOLDS = 99

#: scipy structuring elements for the two connectivities ``bwlabel`` offers.
_STRUCTURES = {4: ndimage.generate_binary_structure(2, 1), 8: np.ones((3, 3), bool)}


def bsds_thresholds(num: int = DEFAULT_NUM_THRESHOLDS) -> np.ndarray:
    """The benchmark's thresholds: ``linspace(1/(num+1), 1-1/(num+1), num)`` as MATLAB computes it.

    MATLAB multiplies before it divides (``d1 + (0:n-1)*(d2-d1)/(n-1)``); numpy's linspace
    divides first, which moves some thresholds by one unit in the last place, and a ucm2 value
    equal to a threshold would then fall on the other side.

    Args:
        num: how many thresholds, >= 1.

    Returns:
        (num,) float64 thresholds, increasing, strictly inside (0, 1).
    """
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 1:
        raise ValueError(f'the number of thresholds must be an integer >= 1, got {num!r}')
    low, high = 1 / (num + 1), 1 - 1 / (num + 1)
    if num == 1:
        return np.array([high])
    steps = np.arange(num, dtype=np.float64)
    values = low + (steps * (high - low)) / (num - 1)
    values[0], values[-1] = low, high
    return values


def check_ucm2(ucm2: np.ndarray, image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Check that ``ucm2`` is a double-resolution hierarchy with values in [0, 1].

    Args:
        ucm2: (2H+1, 2W+1) boundary strengths.
        image_shape: (H, W) the image's size, when known (e.g. its ground truth's).

    Returns:
        ``ucm2`` as float64.

    Raises:
        ValueError: wrong number of dimensions, even sides, a size that does not match
            ``image_shape``, non-finite values or values outside [0, 1], each in one line.
    """
    ucm2 = np.asarray(ucm2)
    if ucm2.ndim != 2 or min(ucm2.shape) < 3 or ucm2.shape[0] % 2 == 0 or ucm2.shape[1] % 2 == 0:
        raise ValueError(
            f'a ucm2 must be a 2-D (2H+1, 2W+1) map with odd sides >= 3, got shape {ucm2.shape}'
        )
    if image_shape is not None:
        expected = (2 * image_shape[0] + 1, 2 * image_shape[1] + 1)
        if ucm2.shape != expected:
            raise ValueError(
                f'ucm2 shape {ucm2.shape} does not match the image size {tuple(image_shape)} '
                f'(expected {expected})'
            )
    ucm2 = ucm2.astype(np.float64, copy=False)
    if not np.all(np.isfinite(ucm2)):
        raise ValueError('ucm2 holds NaN or infinite values')
    low, high = float(ucm2.min()), float(ucm2.max())
    if low < 0 or high > 1:
        raise ValueError(
            f'ucm2 values must lie in [0, 1] as in the BSDS benchmark, got [{low:g}, {high:g}]; '
            'divide by the largest value first'
        )
    return ucm2


def ucm2_segmentation(ucm2: np.ndarray, threshold: float, connectivity: int = 8) -> np.ndarray:
    """The benchmark's cut of a hierarchy: ``bwlabel(ucm2 <= threshold)`` at the image's pixels.

    Args:
        ucm2: (2H+1, 2W+1) map, checked by :func:`check_ucm2`.
        threshold: boundaries stronger than this separate regions.
        connectivity: 8 (the benchmark's ``bwlabel`` default) or 4.

    Returns:
        (H, W) int64 region labels 1..N, numbered consecutively (the numbering never changes
        a score); 0 where an image pixel itself lies above the threshold, which the benchmark
        leaves unlabelled (a ucm2 holds 0 at every pixel, so this needs a malformed one).
    """
    sampled = ucm2_components(ucm2, threshold, connectivity)
    # Components made only of boundary cells vanish in the sampling; renumber the rest 1..N.
    values, inverse = np.unique(sampled, return_inverse=True)
    new_ids = np.arange(values.size, dtype=np.int64) + (0 if values[0] == 0 else 1)
    return new_ids[inverse].reshape(sampled.shape)


def ucm2_components(ucm2: np.ndarray, threshold: float, connectivity: int = 8) -> np.ndarray:
    """``bwlabel(ucm2 <= threshold)`` sampled at the image's pixels, (H, W), not renumbered:
    the ids of :func:`ucm2_segmentation`'s regions before it makes them 1..N (for a caller
    that numbers them its own way)."""
    if connectivity not in _STRUCTURES:
        raise ValueError(f'connectivity must be 4 or 8, got {connectivity!r}')
    components, _ = ndimage.label(ucm2 <= threshold, structure=_STRUCTURES[connectivity])
    return components[1::2, 1::2]


def ucm2_boundary_strength(ucm2: np.ndarray) -> np.ndarray:
    """The soft boundary map the benchmark thresholds: ``ucm2[2::2, 2::2]``, (H, W)."""
    return np.asarray(ucm2)[2::2, 2::2]
