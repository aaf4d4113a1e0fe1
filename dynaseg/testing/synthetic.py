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


#: Sizes (H, W) of the piecewise-constant check images: small photos in both orientations.
CHECK_SIZES = ((96, 128), (120, 90), (100, 120), (112, 112))


def random_piecewise_image(
    seed: int,
    *,
    num_regions: tuple[int, int] = (3, 5),
    noise: float = 6.0,
    gradient: float = 24.0,
    min_colour_distance: float = 80.0,
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded piecewise-constant test picture: what a user's "simple photo" looks like.

    ``num_regions`` (inclusive range) Voronoi cells of random sites, each one flat colour (random,
    at least ``min_colour_distance`` apart in RGB), under a gentle linear illumination gradient
    (``gradient`` grey levels from one corner to the other, in a random direction) and Gaussian
    noise of standard deviation ``noise``; the size is one of :data:`CHECK_SIZES`. Seeds used in
    tests and development are small; ``tools/piecewise_check.py`` scores seeds from 1000 on, so
    no choice was ever made on them.

    Returns:
        image: (H, W, 3) uint8 RGB.
        regions: (H, W) int64 region ids 0..k-1, the ground truth (every id present).
    """
    rng = np.random.default_rng(seed)
    height, width = CHECK_SIZES[rng.integers(len(CHECK_SIZES))]
    k = int(rng.integers(num_regions[0], num_regions[1] + 1))
    while True:  # sites far enough apart that every cell is a visible region
        sites = rng.uniform((0, 0), (height, width), size=(k, 2))
        gaps = np.linalg.norm(sites[:, None] - sites[None], axis=-1)[np.triu_indices(k, 1)]
        if gaps.min() > 0.25 * min(height, width):
            break
    palette = [rng.uniform(20, 235, 3)]
    while len(palette) < k:
        colour = rng.uniform(20, 235, 3)
        if min(np.linalg.norm(colour - c) for c in palette) >= min_colour_distance:
            palette.append(colour)
    yy, xx = np.mgrid[0:height, 0:width]
    distance = (yy[..., None] - sites[:, 0]) ** 2 + (xx[..., None] - sites[:, 1]) ** 2
    regions = distance.argmin(axis=-1).astype(np.int64)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * yy / height + np.sin(angle) * xx / width
    ramp = (ramp - ramp.min()) / max(np.ptp(ramp), 1e-9) - 0.5
    image = np.asarray(palette)[regions] + gradient * ramp[..., None]
    image += rng.normal(0, noise, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), regions
