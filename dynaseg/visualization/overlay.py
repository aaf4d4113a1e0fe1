"""Segmentations drawn over the image they segment."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..utils.image_io import as_rgb_uint8
from .palette import colorize_labels

__all__ = ['label_boundaries', 'overlay']


def label_boundaries(labels: np.ndarray) -> np.ndarray:
    """Pixels whose right or lower neighbour has a different id: a one-pixel segment outline.

    Plain neighbour differences are O(H * W) and much faster than
    ``skimage.segmentation.find_boundaries`` on large maps.

    Args:
        labels: (H, W) segment ids.

    Returns:
        (H, W) bool.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f'labels must be (H, W), got {labels.shape}')
    edge = np.zeros(labels.shape, bool)
    edge[:, :-1] |= labels[:, 1:] != labels[:, :-1]
    edge[:-1, :] |= labels[1:, :] != labels[:-1, :]
    return edge


def overlay(
    image: np.ndarray,
    labels: np.ndarray,
    alpha: float = 0.5,
    draw_boundaries: bool = True,
    boundary_color: Sequence[int] = (255, 255, 255),
) -> np.ndarray:
    """Blend a colourised label map over an image, optionally outlining each segment.

    Args:
        image: (H, W, 3) RGB, or any array :func:`~dynaseg.utils.image_io.as_rgb_uint8` takes.
        labels: (H, W) integer segment ids, the image's size (negative ids are shown black).
        alpha: weight of the label colours, in [0, 1]; 0 shows only the image.
        draw_boundaries: paint segment outlines in ``boundary_color``.
        boundary_color: RGB of the outlines.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha must be in [0, 1], got {alpha}')
    rgb = as_rgb_uint8(image)
    labels = np.asarray(labels)
    if labels.shape != rgb.shape[:2]:
        raise ValueError(f'labels {labels.shape} and image {rgb.shape[:2]} differ in size')
    blended = (1.0 - alpha) * rgb + alpha * colorize_labels(labels)
    out = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    if draw_boundaries:
        out[label_boundaries(labels)] = np.asarray(boundary_color, np.uint8)
    return out
