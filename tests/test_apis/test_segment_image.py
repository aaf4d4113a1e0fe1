"""The README's Python API, ``segment_image``: a path or an array in, a label map out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dynaseg.apis import SegmentationResult, segment_image
from dynaseg.testing import piecewise_image

# A small network and a fixed budget of 5 iterations: q never reaches min_labels=0, and the
# default's patience (40) cannot fire within 5 iterations.
TINY = {
    'model.backbone.channels': 8,
    'model.backbone.out_channels': 8,
    'model.silhouette.enabled': False,
    'model.schedule.max_iters': 5,
    'model.schedule.min_labels': 0,
}
HEIGHT, WIDTH = 24, 32


def segment(image_or_path, **extra) -> SegmentationResult:
    return segment_image(image_or_path, **TINY, **extra)


@pytest.fixture(scope='module')
def image() -> np.ndarray:
    return piecewise_image(HEIGHT, WIDTH)[0]


@pytest.fixture(scope='module')
def reference(image: np.ndarray) -> SegmentationResult:
    """``image`` segmented with TINY and the default seed, once for the module."""
    return segment(image)


def test_path_and_array_give_the_same_label_map(
    image: np.ndarray, reference: SegmentationResult, tmp_path: Path
) -> None:
    path = tmp_path / 'image.png'
    Image.fromarray(image).save(path)
    from_path, from_array = segment(path), reference
    labels = from_path.labels
    assert labels.shape == (HEIGHT, WIDTH) and labels.dtype == np.int64
    assert 0 <= labels.min() and labels.max() < 8  # argmax over 8 output channels
    assert from_path.num_segments == len(np.unique(labels)) >= 2
    np.testing.assert_array_equal(from_array.labels, labels)
    for result in (from_path, from_array):
        assert result.record.iterations == 5 and result.record.stop_reason == 'max_iters'
        assert len(result.record.label_counts) == len(result.record.losses) == 5
    assert from_path.record.losses == from_array.record.losses


def test_same_seed_same_labels_other_seed_other_labels(
    image: np.ndarray, reference: SegmentationResult
) -> None:
    first, second = reference, segment(image)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.record.losses == second.record.losses
    other = segment(image, **{'model.seed': 1})
    assert not np.array_equal(other.labels, first.labels)


@pytest.mark.parametrize('count', [2, 5])
def test_num_segments_gives_exactly_that_many_labels(image: np.ndarray, count: int) -> None:
    result = segment(image, **{'model.num_segments': count})
    assert result.labels.shape == (HEIGHT, WIDTH)
    assert result.num_segments == count and result.record.num_segments == count


def test_grey_and_alpha_arrays_are_read_as_rgb(
    image: np.ndarray, reference: SegmentationResult
) -> None:
    grey = image[..., 1]
    as_rgb = segment(np.repeat(grey[..., None], 3, axis=2))
    np.testing.assert_array_equal(segment(grey).labels, as_rgb.labels)
    assert not np.array_equal(as_rgb.labels, reference.labels)  # grey is a different picture
    opaque = np.concatenate([image, np.full((HEIGHT, WIDTH, 1), 255, np.uint8)], axis=2)
    np.testing.assert_array_equal(segment(opaque).labels, reference.labels)
    # The same picture as floats in [0, 1] is the same image.
    np.testing.assert_array_equal(segment(image / 255.0).labels, reference.labels)


def test_mu_override_reaches_the_loss(image: np.ndarray) -> None:
    """FSF: L = L_sim + (q / mu) L_con. The first iteration's network, labels and both loss
    terms do not depend on mu (same seed), so its loss is affine in 1 / mu with slope q L_con."""
    mus = (5.0, 15.0, 45.0)
    first = {
        mu: segment(image, **{'model.loss.weight.mu': mu}).record for mu in mus
    }  # the default config weights by FSF
    assert {record.label_counts[0] for record in first.values()} == {first[5.0].label_counts[0]}
    loss = {mu: record.losses[0] for mu, record in first.items()}
    slope_low = (loss[5.0] - loss[15.0]) / (1 / 5.0 - 1 / 15.0)
    slope_high = (loss[15.0] - loss[45.0]) / (1 / 15.0 - 1 / 45.0)
    assert slope_low > 0  # a smaller mu weights continuity more
    assert slope_low == pytest.approx(slope_high, rel=1e-4)
    assert loss[5.0] - slope_low / 5.0 > 0  # the intercept is L_sim, a cross-entropy
