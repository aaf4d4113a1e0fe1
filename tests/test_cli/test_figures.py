"""The README's pictures: tools/demo.py (what ``make demo`` runs) and tools/scribble_figure.py,
each on one small image, checked panel by panel."""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType

import cv2
import numpy as np
from PIL import Image

from dynaseg.apis import build_segmentor, image_to_tensor, load_config
from dynaseg.testing import piecewise_image
from dynaseg.utils.fileio import load_label_map
from dynaseg.utils.image_io import load_image
from dynaseg.visualization import colorize_labels, overlay

TINY = {
    'model.backbone.channels': 8,
    'model.backbone.out_channels': 8,
    'model.silhouette.enabled': False,
    'model.schedule.max_iters': 5,
    'model.schedule.min_labels': 0,
}


def cfg_options(options: dict) -> list[str]:
    return ['--cfg-options', *(f'{key}={value}' for key, value in options.items())]


TINY_OPTIONS = cfg_options(TINY)
PAD = 4  # make_grid's default gap around panels


def load_tool(name: str) -> ModuleType:
    """The command module behind ``tools/<name>.py`` (its ``main`` reads ``sys.argv``)."""
    return importlib.import_module(f'dynaseg.cli.{name}')


def panel(grid: np.ndarray, column: int, height: int, width: int) -> np.ndarray:
    """Panel ``column`` of a one-row grid of equal ``height`` x ``width`` panels (bottom row)."""
    top = grid.shape[0] - PAD - height
    left = PAD + column * (width + PAD)
    return grid[top : top + height, left : left + width]


def test_demo_segments_one_sample_and_draws_its_grid(tmp_path, monkeypatch, capsys):
    out = tmp_path / 'demo'
    argv = ['demo.py', '--output_folder', str(out), '--num-images', '1', '--max-side', '40']
    monkeypatch.setattr(sys, 'argv', [*argv, *TINY_OPTIONS])
    assert load_tool('demo').main() == 0
    assert '1 done' in capsys.readouterr().out

    # The first sample, scikit-image's astronaut (512 x 512), scaled to 40 x 40.
    assert sorted(p.name for p in (out / 'images').iterdir()) == ['astronaut.png']
    rgb = load_image(out / 'images' / 'astronaut.png')
    assert rgb.shape == (40, 40, 3)
    from skimage import data

    reference = cv2.resize(data.astronaut(), (40, 40), interpolation=cv2.INTER_AREA)
    assert np.abs(rgb.astype(float) - reference).mean() < 8

    segmentation = out / 'segmentation'
    labels = load_label_map(segmentation / 'astronaut.png')
    assert labels.shape == (40, 40) and len(np.unique(labels)) >= 2
    record = json.loads((segmentation / 'records' / 'astronaut.json').read_text())
    assert record['iterations'] == 5 and record['num_labels'] == len(np.unique(labels))
    assert (segmentation / 'vis' / 'astronaut_color.png').is_file()
    assert (segmentation / 'vis' / 'astronaut_overlay.jpg').is_file()

    grid = load_image(out / 'demo_grid.png')
    assert grid.shape[1] == 3 * 40 + 4 * PAD and grid.shape[0] > 40 + 2 * PAD  # title band
    np.testing.assert_array_equal(panel(grid, 0, 40, 40), rgb)
    np.testing.assert_array_equal(panel(grid, 1, 40, 40), colorize_labels(labels))
    np.testing.assert_array_equal(panel(grid, 2, 40, 40), overlay(rgb, labels))

    # Again in the same folder: another config is refused in one line (the folder would hold
    # two configs' labels), another size redoes the samples (their files changed), and
    # --overwrite redoes them with another config.
    capsys.readouterr()
    monkeypatch.setattr(sys, 'argv', [*argv, *TINY_OPTIONS, '--seed', '3'])
    assert load_tool('demo').main() == 2
    assert '--overwrite' in capsys.readouterr().err
    bigger = [a.replace('40', '48') if a == '40' else a for a in argv]
    monkeypatch.setattr(sys, 'argv', [*bigger, *TINY_OPTIONS])
    assert load_tool('demo').main() == 0
    assert 'the input changed since its label map was made' in capsys.readouterr().out
    assert load_label_map(segmentation / 'astronaut.png').shape == (48, 48)
    monkeypatch.setattr(sys, 'argv', [*bigger, *TINY_OPTIONS, '--seed', '3', '--overwrite'])
    assert load_tool('demo').main() == 0


def test_scribble_figure_panels(tmp_path, monkeypatch, capsys):
    image, _ = piecewise_image(24, 32)
    Image.fromarray(image).save(tmp_path / 'image.png')
    scribble = np.full((24, 32), 255, np.uint8)
    scribble[3, 2:12] = 0
    scribble[20, 18:30] = 1
    Image.fromarray(scribble).save(tmp_path / 'scribble.png')
    figure = tmp_path / 'scribbles.png'
    # 10 iterations: enough for the guided run to give the strokes their scribble labels.
    options = dict(TINY, **{'model.schedule.max_iters': 10})
    argv = ['scribble_figure.py', '--image', str(tmp_path / 'image.png')]
    argv += ['--scribble', str(tmp_path / 'scribble.png'), '--out', str(figure)]
    monkeypatch.setattr(sys, 'argv', [*argv, '--max-side', '64', *cfg_options(options)])
    load_tool('scribble_figure').main()
    assert f'figure written to {figure}' in capsys.readouterr().out

    grid = load_image(figure)
    # Four 48 x 64 panels (the 24 x 32 image scaled by 64 / 32) in one row under the titles.
    assert grid.shape[1] == 4 * 64 + 5 * PAD and grid.shape[0] > 48 + 2 * PAD

    def shown(picture: np.ndarray) -> np.ndarray:
        return cv2.resize(picture, (64, 48), interpolation=cv2.INTER_NEAREST)

    np.testing.assert_array_equal(panel(grid, 0, 48, 64), shown(image))
    # The scribble panel is the image with the strokes painted in their label colours.
    strokes = image.copy()
    marked = scribble != 255
    strokes[marked] = colorize_labels(scribble.astype(np.int64))[marked]
    np.testing.assert_array_equal(panel(grid, 1, 48, 64), shown(strokes))
    # The last two panels: the same config segmenting without and with the scribble (seeded).
    model = build_segmentor(load_config(None, options))
    x = image_to_tensor(image, model)
    without, _ = model.segment(x)
    guided, _ = model.segment(x, scribble=scribble.astype(np.int64))
    np.testing.assert_array_equal(panel(grid, 2, 48, 64), shown(overlay(image, without)))
    np.testing.assert_array_equal(panel(grid, 3, 48, 64), shown(overlay(image, guided)))
    assert (guided[3, 2:12] == 0).all() and (guided[20, 18:30] == 1).all()
    assert not (without[3, 2:12] == 0).all()
