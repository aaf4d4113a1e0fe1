"""plot_history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dynaseg.visualization import plot_history


def test_plot_history_writes_png(tmp_path: Path) -> None:
    histories: dict[str, dict[str, list[float]]] = {
        'SCF': {'n_labels': [100, 40, 12, 9, 9], 'loss': [4.6, 2.0, 1.1, 0.9, 0.8]},
        'FSF': {'n_labels': [100, 60, 30], 'loss': [4.6, 3.0, 2.5]},
        'fixed': {'n_labels': np.array([100.0, 80.0]).tolist()},  # no loss series
    }
    path = tmp_path / 'history.png'
    plot_history(histories, path, title='100039')
    with Image.open(path) as image:
        assert image.format == 'PNG'
        assert image.size[0] > 300 and image.size[1] > 200
        pixels = np.asarray(image.convert('RGB'))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10  # curves and text, not blank
    assert [p.name for p in tmp_path.iterdir()] == ['history.png']


def test_plot_history_refuses_empty(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        plot_history({}, tmp_path / 'x.png')
    with pytest.raises(ValueError):
        plot_history({'SCF': {'other': [1.0]}}, tmp_path / 'x.png')
    assert not (tmp_path / 'x.png').exists()
