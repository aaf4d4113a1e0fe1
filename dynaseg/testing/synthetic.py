"""Piecewise-constant synthetic images with known regions."""

from __future__ import annotations

import numpy as np


def piecewise_image(
    height: int = 48, width: int = 64, noise: float = 8.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic RGB image of four flat colour regions plus Gaussian noise.

    Returns:
        image: (H, W, 3) uint8 RGB.
        regions: (H, W) int64 region ids 0..3, the ground truth.
    """
    rng = np.random.default_rng(seed)
    regions = np.zeros((height, width), np.int64)
    regions[:, width // 2 :] = 1
    regions[height // 2 :, : width // 3] = 2
    regions[height // 2 :, width // 2 + width // 4 :] = 3
    palette = np.array([[220, 40, 40], [40, 200, 60], [30, 60, 220], [235, 225, 40]], np.float64)
    image = palette[regions] + rng.normal(0, noise, (height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8), regions
