"""Shared fixtures: where the real evaluation data lives, and small synthetic images."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_root() -> Path:
    """The real-data root: ``$DYNASEG_DATA_ROOT`` or ``../shared/data`` beside the clone."""
    env = os.environ.get('DYNASEG_DATA_ROOT')
    return Path(env) if env else REPO_ROOT.parent / 'shared' / 'data'


def require_data(*relative: str) -> Path:
    """Return ``shared_data_root()/relative`` or skip the test, naming what is missing."""
    path = shared_data_root().joinpath(*relative)
    if not path.exists():
        pytest.skip(f'real data not found: {path} (set DYNASEG_DATA_ROOT to the folder '
                    'holding bsds500/, voc2012/ and cocostuff/)')
    return path


@pytest.fixture
def data_root() -> Path:
    return require_data()


def piecewise_image(height: int = 48, width: int = 64, noise: float = 8.0,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic RGB image of four flat colour regions plus Gaussian noise.

    Returns:
        image: (H, W, 3) uint8 RGB.
        regions: (H, W) int64 region ids 0..3, the ground truth.
    """
    rng = np.random.default_rng(seed)
    regions = np.zeros((height, width), np.int64)
    regions[:, width // 2:] = 1
    regions[height // 2:, :width // 3] = 2
    regions[height // 2:, width // 2 + width // 4:] = 3
    palette = np.array([[220, 40, 40], [40, 200, 60], [30, 60, 220], [235, 225, 40]], np.float64)
    image = palette[regions] + rng.normal(0, noise, (height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8), regions


@pytest.fixture
def synthetic_image() -> tuple[np.ndarray, np.ndarray]:
    return piecewise_image()
