"""Shared fixtures: where the real evaluation data lives, and small synthetic images."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from dynaseg.testing import piecewise_image

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_root() -> Path:
    """The real-data root: ``$DYNASEG_DATA_ROOT`` or ``../shared/data`` beside the clone."""
    env = os.environ.get('DYNASEG_DATA_ROOT')
    return Path(env) if env else REPO_ROOT.parent / 'shared' / 'data'


def running_in_ci() -> bool:
    """Whether ``$CI`` is set to something other than empty, ``0`` or ``false``."""
    return os.environ.get('CI', '').strip().lower() not in ('', '0', 'false')


def require_data(*relative: str) -> Path:
    """Return ``shared_data_root()/relative``, or skip the test naming what is missing.

    Under CI (``$CI`` set) a missing path fails the test instead: CI always provides the
    data, so a skip there would hide the external oracles (the metric calibration, the
    benchmark's reference files) behind a green run.
    """
    path = shared_data_root().joinpath(*relative)
    if not path.exists():
        reason = (
            f'real data not found: {path} (set DYNASEG_DATA_ROOT to the folder '
            'holding bsds500/, voc2012/ and cocostuff/)'
        )
        if running_in_ci():
            pytest.fail(f'{reason}; CI is set, so missing data is an error', pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture
def data_root() -> Path:
    return require_data()


@pytest.fixture
def synthetic_image() -> tuple[np.ndarray, np.ndarray]:
    return piecewise_image()


@pytest.fixture
def one_thread():
    """One torch thread for the test (restored after): tiny runs are faster and repeatable."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
