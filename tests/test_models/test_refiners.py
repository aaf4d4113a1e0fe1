"""Refiners: the majority vote and the overlay against hand-worked maps, and the model hook."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from skimage.segmentation import felzenszwalb

from dynaseg.apis import build_segmentor, load_config, segment_image
from dynaseg.apis.inference import image_to_tensor
from dynaseg.models.refiners import RegionOverlay, RegionVote, majority_label, overlay
from dynaseg.testing import piecewise_image

REPO_ROOT = Path(__file__).resolve().parents[2]
FH_FINE = dict(type='FelzenszwalbSegmentor', scale=20.0, sigma=0.5, min_size=5)


def test_majority_label_by_hand():
    labels = np.array([[0, 0, 1, 2], [0, 1, 1, 2], [3, 3, 1, 2]])
    regions = np.array([[0, 0, 0, 1], [0, 0, 0, 1], [2, 2, 2, 1]])
    # region 0: labels 0,0,1,0,1,1 -> tie 3/3, the smaller label 0 wins; region 1: all 2;
    # region 2: 3,3,1 -> 3.
    expected = np.array([[0, 0, 0, 2], [0, 0, 0, 2], [3, 3, 3, 2]])
    assert np.array_equal(majority_label(labels, regions), expected)


def test_overlay_by_hand():
    labels = np.array([[0, 0, 1], [0, 0, 1]])
    regions = np.array([[0, 1, 1], [0, 1, 1]])
    # pairs (0,0) (0,1) (1,1) -> three segments, numbered in pair order.
    assert np.array_equal(overlay(labels, regions), np.array([[0, 1, 2], [0, 1, 2]]))


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match='differ in shape'):
        majority_label(np.zeros((2, 2), int), np.zeros((2, 3), int))
    with pytest.raises(ValueError, match='differ in shape'):
        overlay(np.zeros((2, 2), int), np.zeros((3, 2), int))


def test_vote_removes_fragments_inside_flat_regions():
    image, regions = piecewise_image(48, 64, noise=3.0)
    noisy = regions.copy()
    rng = np.random.default_rng(0)
    noisy[rng.random(noisy.shape) < 0.05] = 4  # speckle: 5% of pixels get a stray label
    vote = RegionVote(regions=FH_FINE)
    fh = felzenszwalb(image, scale=20.0, sigma=0.5, min_size=5, channel_axis=-1)
    refined = vote(noisy, image)
    assert np.array_equal(refined, majority_label(noisy, fh))
    assert not (refined == 4).any()  # no region is mostly speckle
    assert (refined == regions).mean() > 0.97


def test_overlay_refiner_splits_along_region_boundaries():
    image, regions = piecewise_image(48, 64, noise=3.0)
    one_label = np.zeros_like(regions)
    split = RegionOverlay(regions=dict(type='GridSegmentor', rows=1, cols=2))(one_label, image)
    assert np.array_equal(split[:, :32], np.zeros((48, 32))) and (split[:, 32:] == 1).all()


def test_regions_must_come_from_a_classical_segmentor():
    with pytest.raises(TypeError, match='classical segmentor'):
        RegionVote(regions=dict(type='DynaSegLoss', weight=dict(type='FSFWeight', mu=15.0)))


def test_model_refine_runs_after_the_segmentation():
    """A baseline with a refiner gives exactly refiner(baseline labels); DynaSeg takes the key."""
    image, _ = piecewise_image(40, 48, noise=12.0, seed=2)
    config = str(REPO_ROOT / 'configs' / 'baselines' / 'felzenszwalb_bsds500.py')
    options = {'model.scale': 5.0, 'model.min_size': 2}
    plain = segment_image(image, config, **options).labels
    grid = dict(type='GridSegmentor', rows=2, cols=2)
    refined = segment_image(
        image, config, **options, **{'model.refine': [dict(type='RegionVote', regions=grid)]}
    ).labels
    assert np.array_equal(refined, majority_label(plain, RegionVote(grid).regions.label_rgb(image)))
    assert len(np.unique(refined)) <= 4 < len(np.unique(plain))
    model = build_segmentor(
        load_config(
            str(REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-fsf_cnn-m2_fast_bsds500.py'),
            {'model.refine': [dict(type='RegionOverlay', regions=grid)]},
        )
    )
    labels = np.zeros((40, 48), np.int64)
    finished = model.finish(labels, image_to_tensor(image, model))
    assert np.array_equal(np.unique(finished), np.arange(4))


def test_an_exact_segment_count_or_scribbles_are_returned_unrefined():
    """The refiners would change the label set the user asked for: K labels, scribbled ids."""
    image, _ = piecewise_image(40, 48, noise=12.0, seed=2)
    split = [dict(type='RegionOverlay', regions=dict(type='GridSegmentor', rows=4, cols=4))]
    options = {'model.refine': split, 'model.silhouette.enabled': False}
    options['model.schedule.max_iters'] = 3
    exact = build_segmentor(load_config(None, dict(options, **{'model.num_segments': 3})))
    labels = np.zeros((40, 48), np.int64)
    assert np.array_equal(exact.finish(labels, image_to_tensor(image, exact)), labels)
    auto = build_segmentor(load_config(None, options))
    x = image_to_tensor(image, auto)
    assert np.array_equal(auto.finish(labels, x, guided=True), labels)
    assert len(np.unique(auto.finish(labels, x))) == 16
    counted = segment_image(image, None, num_segments=3, **options)
    assert counted.num_segments == 3
