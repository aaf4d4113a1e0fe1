"""Scribble guidance (Kim et al.) in the engine: the guided labels, min_labels, coarse stages.

Reading and validating mask files is tested with ``dynaseg.utils.scribble_io``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dynaseg.engine import EngineSettings, Schedule, optimize_image
from dynaseg.engine.scribble import resize_scribble
from dynaseg.models.backbones import DynaSegCNN
from dynaseg.models.losses import DynaSegLoss
from dynaseg.testing import piecewise_image
from dynaseg.utils.scribble_io import scribble_classes

SGD = dict(type='SGD', lr=0.1, momentum=0.9)
Q_MAX = 32


def to_tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1).float()[None] / 255.0


def factory() -> DynaSegCNN:
    return DynaSegCNN(channels=32, out_channels=Q_MAX)


def strokes(regions: np.ndarray, labels: dict[int, int]) -> np.ndarray:
    """A 2-pixel-high horizontal stroke through the middle row of each listed region."""
    mask = np.full(regions.shape, 255, np.int64)
    for region, label in labels.items():
        ys, xs = np.nonzero(regions == region)
        row = ys[len(ys) // 2]
        cols = xs[ys == row]
        mask[row : row + 2, cols.min() + 2 : cols.max() - 1] = label
    return mask


def run(image: np.ndarray, mask: np.ndarray | None, schedule: Schedule, seed: int = 0):
    return optimize_image(
        to_tensor(image),
        factory,
        DynaSegLoss(),
        SGD,
        EngineSettings(schedule=schedule),
        seed=seed,
        scribble=None if mask is None else torch.from_numpy(mask),
    )


def majority(labels: np.ndarray, regions: np.ndarray) -> list[int]:
    return [int(np.bincount(labels[regions == r]).argmax()) for r in range(regions.max() + 1)]


def test_scribbles_pick_the_labels_of_their_regions():
    """Unguided labels are arbitrary channels; scribbled regions take the scribbled channel."""
    image, regions = piecewise_image(24, 36)
    wanted = {0: 7, 1: 3, 2: 11, 3: 5}
    mask = strokes(regions, wanted)
    schedule = Schedule(max_iters=60, patience=30)
    plain, _ = run(image, None, schedule)
    guided, record = run(image, mask, schedule)
    assert majority(guided, regions) == list(wanted.values())
    assert majority(plain, regions) != list(wanted.values())
    scribbled = mask != 255
    assert (guided[scribbled] == mask[scribbled]).mean() > 0.95
    assert record.iterations >= 1


def test_min_labels_follows_the_scribble_classes(monkeypatch: pytest.MonkeyPatch):
    """Kim's minLabels = number of scribble classes, whatever the schedule says."""
    seen: list[int] = []
    original = Schedule.stop_rule

    def spy(schedule, min_labels=None, silhouette_k=None):
        rule = original(schedule, min_labels, silhouette_k)
        seen.append(rule.min_labels)
        return rule

    monkeypatch.setattr(Schedule, 'stop_rule', spy)
    image, regions = piecewise_image(24, 36)
    run(image, strokes(regions, {0: 7, 1: 3, 2: 11, 3: 5}), Schedule(max_iters=1, min_labels=3))
    run(image, strokes(regions, {0: 1, 1: 2}), Schedule(max_iters=1, min_labels=3))
    run(image, None, Schedule(max_iters=1, min_labels=3))
    assert seen == [4, 2, 3]


def test_coarse_stage_keeps_every_class():
    """A 1-pixel stroke that nearest sampling skips is still present at the coarse size."""
    mask = torch.full((40, 60), 255, dtype=torch.long)
    mask[:, 10] = 2  # 1-pixel lines and a single pixel: a 3x nearest downsample keeps
    mask[5:30, 31] = 6  # only every third column/row, so most of these would vanish
    mask[20, 44] = 9
    nearest = torch.nn.functional.interpolate(
        mask[None, None].float(), size=(13, 19), mode='nearest'
    )[0, 0]
    assert len(scribble_classes(nearest.long())) < 3  # what plain nearest sampling loses
    small = resize_scribble(mask, (13, 19))
    assert scribble_classes(small) == [2, 6, 9]
    assert small.dtype == torch.long and small.shape == (13, 19)
    image, _ = piecewise_image(40, 60)
    labels, record = run(
        image, mask.numpy(), Schedule(max_iters=5, coarse_max_pixels=260, refine_iters=2)
    )
    assert record.stage_sizes == [(13, 19), (40, 60)] and labels.shape == (40, 60)


def test_no_scribble_is_bit_identical_to_the_plain_loop():
    image, _ = piecewise_image(24, 32)
    schedule = Schedule(max_iters=8)
    first, record_a = optimize_image(
        to_tensor(image), factory, DynaSegLoss(), SGD, EngineSettings(schedule=schedule)
    )
    second, record_b = run(image, None, schedule)
    np.testing.assert_array_equal(first, second)
    assert record_a.losses == record_b.losses
