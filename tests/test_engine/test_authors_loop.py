"""The authors' loop (a plain mirror of their script) and the engine do the same work."""

import numpy as np
import pytest
import torch

from dynaseg.engine import DEFAULT_OPTIMIZER, EngineSettings, Schedule, optimize_image
from dynaseg.engine.authors_loop import authors_loop
from dynaseg.models.backbones import DynaSegCNN
from dynaseg.models.losses import DynaSegLoss, SCFWeight


def float64_extractor():
    return DynaSegCNN(in_channels=3, channels=8, num_convs=2, out_channels=8).double()


@pytest.mark.parametrize('channels_last', [False, True])
def test_engine_follows_the_authors_loop_step_by_step_in_float64(channels_last):
    # In float64 no argmax near-tie flips within a few steps, so the two trajectories may
    # differ only by rounding: same losses, same label counts, same labels at the end.
    torch.manual_seed(3)
    image = torch.rand(1, 3, 12, 17, dtype=torch.float64)
    iters = 6
    weight = SCFWeight(mu=50)
    labels_a, record_a = authors_loop(
        image, float64_extractor, weight, max_iters=iters, min_labels=1, seed=5
    )
    labels_b, record_b = optimize_image(
        image,
        float64_extractor,
        DynaSegLoss(weight=weight),
        DEFAULT_OPTIMIZER,
        EngineSettings(
            schedule=Schedule(max_iters=iters, min_labels=1), channels_last=channels_last
        ),
        seed=5,
    )
    assert record_a.iterations == record_b.iterations == iters
    assert record_a.label_counts == record_b.label_counts
    np.testing.assert_allclose(record_b.losses, record_a.losses, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(labels_b, labels_a)


def test_the_authors_loop_stops_at_min_labels():
    torch.manual_seed(0)
    image = torch.rand(1, 3, 6, 6, dtype=torch.float64)
    _, record = authors_loop(image, float64_extractor, lambda q: 1.0, max_iters=50, min_labels=8)
    # 8 channels: q <= 8 holds from the first iteration.
    assert record.iterations == 1 and record.stop_reason == 'min_labels'
    assert record.label_counts[0] <= 8 and len(record.losses) == 1
