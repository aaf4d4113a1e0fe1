"""The classical baselines: thin wrappers whose labels are the wrapped function's, renumbered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from skimage.segmentation import felzenszwalb, slic

from dynaseg.apis import build_segmentor, load_config, segment_image
from dynaseg.apis.inference import image_to_tensor
from dynaseg.testing import piecewise_image
from dynaseg.utils.fileio import load_label_map

REPO_ROOT = Path(__file__).resolve().parents[2]

BASELINES = ['felzenszwalb', 'slic', 'quickshift', 'kmeans', 'grid']


def baseline_config(name: str) -> str:
    return str(REPO_ROOT / 'configs' / 'baselines' / f'{name}_bsds500.py')


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two label maps split the pixels identically (ids may differ)."""
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1)
    return pairs.shape[1] == len(np.unique(a)) == len(np.unique(b))


@pytest.mark.parametrize('name', BASELINES)
def test_every_baseline_config_labels_an_image(name):
    image, _ = piecewise_image(48, 64)
    result = segment_image(image, baseline_config(name))
    labels = result.labels
    assert labels.shape == (48, 64) and labels.dtype == np.int64
    # Ids are 0..n-1 with every id used, and the record says nothing was optimised.
    assert np.array_equal(np.unique(labels), np.arange(labels.max() + 1))
    assert result.record.iterations == 0
    assert result.record.stop_reason == 'classical'
    assert result.record.label_counts == [result.num_segments]


def test_the_image_reaches_scikit_image_unchanged():
    image, _ = piecewise_image(40, 56, seed=3)
    model = build_segmentor(load_config(baseline_config('felzenszwalb')))
    assert np.array_equal(model.to_rgb(image_to_tensor(image, model)), image)


def test_felzenszwalb_and_slic_labels_are_scikit_images_own():
    image, _ = piecewise_image(64, 80, noise=20.0, seed=1)
    fh = segment_image(image, baseline_config('felzenszwalb'), **{'model.scale': 50.0})
    expected = felzenszwalb(image, scale=50.0, sigma=0.5, min_size=30, channel_axis=-1)
    assert same_partition(fh.labels, expected)
    assert fh.num_segments == len(np.unique(expected)) > 4  # noise splits the flat regions
    sp = segment_image(image, baseline_config('slic'), **{'model.n_segments': 12})
    expected = slic(image, n_segments=12, compactness=10.0, start_label=0, channel_axis=-1)
    assert same_partition(sp.labels, expected)


def test_kmeans_on_colour_alone_recovers_the_flat_regions():
    image, regions = piecewise_image(48, 64, noise=4.0)
    options = {'model.num_clusters': 4, 'model.position_weight': 0.0}
    first = segment_image(image, baseline_config('kmeans'), **options)
    assert same_partition(first.labels, regions)
    again = segment_image(image, baseline_config('kmeans'), **options)
    assert np.array_equal(first.labels, again.labels)  # seeded


def test_grid_blocks_are_laid_out_row_major():
    image = np.zeros((4, 6, 3), np.uint8)
    labels = segment_image(image, baseline_config('grid'), **{'model.rows': 2, 'model.cols': 3})
    expected = np.array([[0, 0, 1, 1, 2, 2]] * 2 + [[3, 3, 4, 4, 5, 5]] * 2)
    assert np.array_equal(labels.labels, expected)
    blank = segment_image(image, baseline_config('grid'), **{'model.rows': 1, 'model.cols': 1})
    assert blank.num_segments == 1


def test_baselines_refuse_scribbles_and_bad_parameters():
    image, _ = piecewise_image(16, 16)
    model = build_segmentor(load_config(baseline_config('felzenszwalb')))
    with pytest.raises(ValueError, match='takes no scribbles'):
        model.segment(image_to_tensor(image, model), scribble=np.zeros((16, 16), np.uint8))
    with pytest.raises(ValueError, match='num_clusters must be >= 1'):
        build_segmentor(load_config(baseline_config('kmeans'), {'model.num_clusters': 0}))


def test_the_folder_tool_runs_a_baseline(tmp_path):
    """The same tool that runs DynaSeg segments a folder with a baseline config."""
    from PIL import Image

    inputs = tmp_path / 'in'
    inputs.mkdir()
    image, _ = piecewise_image(32, 40, noise=2.0)
    Image.fromarray(image).save(inputs / 'a.png')
    done = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / 'tools' / 'DynaSeg_SCF_BSD_VOC.py'),
            '--config',
            baseline_config('felzenszwalb'),
            '--input_folder',
            str(inputs),
            '--output_folder',
            str(tmp_path / 'out'),
            '--threads',
            '1',
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    labels = load_label_map(tmp_path / 'out' / 'a.png')
    expected = segment_image(image, baseline_config('felzenszwalb')).labels
    assert same_partition(labels, expected)


def test_a_classical_segmentor_built_without_a_preprocessor_refuses_to_segment():
    # A refiner's regions need none (they are handed RGB); segment() names where one lives.
    from dynaseg.models.segmentors import FelzenszwalbSegmentor

    model = FelzenszwalbSegmentor(scale=100.0)
    assert model.label_rgb(np.zeros((8, 8, 3), np.uint8)).shape == (8, 8)
    with pytest.raises(ValueError, match='data_preprocessor.py'):
        model.segment(torch.zeros(1, 3, 8, 8))
