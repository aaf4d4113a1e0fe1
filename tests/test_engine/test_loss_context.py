"""The engine hands the loss its per-stage context: prepared once per stage from the stage
images (one per model), selected for the models still running, unchanged default runs."""

import numpy as np
import pytest
import torch

from dynaseg.engine import EngineSettings, Schedule, optimize_batch, optimize_image
from dynaseg.engine.resize import resize_image
from dynaseg.models.backbones import DynaSegCNN
from dynaseg.models.losses import DynaSegLoss
from dynaseg.testing import piecewise_image

SGD = dict(type='SGD', lr=0.1, momentum=0.9)
VARIANTS = dict(
    continuity=dict(diagonal=True, penalty='huber', huber_delta=0.5, edge_sigma=0.2),
    target=dict(type='superpixel', n_segments=60, compactness=10.0),
)


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: shared machines, and both sides of a comparison alike."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def factory():
    return DynaSegCNN(channels=16, out_channels=16)


def images(count, height=32, width=48):
    # Different noise levels: different label counts, so different stopping points.
    return [
        torch.from_numpy(piecewise_image(height, width, noise=[0, 30, 12][i % 3], seed=i)[0])
        .permute(2, 0, 1)
        .float()[None]
        / 255.0
        for i in range(count)
    ]


class RecordingLoss(DynaSegLoss):
    """DynaSegLoss that keeps the images of every prepare call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.prepared = []

    def prepare(self, images):
        self.prepared.append(images.clone())
        return super().prepare(images)


def test_context_is_prepared_once_per_stage_from_each_models_stage_image():
    imgs = images(2)
    loss = RecordingLoss(**VARIANTS)
    # Coarse 16x24, then 4 iterations at 32x48: two stages, two prepare calls.
    settings = EngineSettings(
        schedule=Schedule(max_iters=6, min_labels=0, coarse_max_pixels=400, refine_iters=4)
    )
    results = optimize_batch(imgs, factory, loss, SGD, settings, [0, 1])
    sizes = results[0][1].stage_sizes
    assert sizes == [(16, 24), (32, 48)]
    assert len(loss.prepared) == 2
    for prepared, size in zip(loss.prepared, sizes):
        expected = torch.cat([resize_image(image, size) for image in imgs])  # (2, 3, h, w)
        torch.testing.assert_close(prepared, expected)
    # A stage without iterations (no refinement) needs no context.
    loss.prepared.clear()
    settings = EngineSettings(schedule=Schedule(max_iters=3, coarse_max_pixels=400))
    optimize_image(imgs[0], factory, loss, SGD, settings)
    assert [tuple(p.shape) for p in loss.prepared] == [(1, 3, 16, 24)]


def test_defaults_spelled_out_give_the_same_labels_bit_for_bit():
    (image,) = images(1)
    settings = EngineSettings(schedule=Schedule(max_iters=15, min_labels=0))
    plain = DynaSegLoss(dict(type='FSFWeight', mu=15.0))
    explicit = DynaSegLoss(
        dict(type='FSFWeight', mu=15.0),
        continuity=dict(diagonal=False, penalty='l1', huber_delta=1.0, edge_sigma=None),
        target=dict(type='argmax'),
    )
    labels_a, record_a = optimize_image(image, factory, plain, SGD, settings, seed=3)
    labels_b, record_b = optimize_image(image, factory, explicit, SGD, settings, seed=3)
    assert np.array_equal(labels_a, labels_b)
    assert record_a.losses == record_b.losses and record_a.label_counts == record_b.label_counts


def test_batch_matches_one_at_a_time_with_variants_and_per_model_stopping():
    imgs, seeds = images(3), [0, 1, 2]
    loss = DynaSegLoss(**VARIANTS)
    # Patience stops the models at different iterations: the context of the running ones
    # is selected from the stage's.
    settings = EngineSettings(schedule=Schedule(max_iters=40, min_labels=0, patience=3))
    single = [
        optimize_image(image, factory, loss, SGD, settings, seed=seed)
        for image, seed in zip(imgs, seeds)
    ]
    batch = optimize_batch(imgs, factory, loss, SGD, settings, seeds)
    assert len({record.iterations for _, record in batch}) > 1
    for (labels_a, record_a), (labels_b, record_b) in zip(single, batch):
        # Grouped and separate convolutions round differently (see test_batched.py).
        assert (labels_a == labels_b).mean() >= 0.99
        assert record_a.iterations == record_b.iterations
        assert record_a.stop_reason == record_b.stop_reason
        np.testing.assert_allclose(record_b.losses[:2], record_a.losses[:2], rtol=1e-4)
