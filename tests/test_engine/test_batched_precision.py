"""GPU levers of the engine on a CPU: the fp32 default is the untouched path, bf16 autocast and a
compiled extractor run and agree with it (dynaseg/engine/precision.py)."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from dynaseg.engine import EngineSettings, Schedule, optimize_batch, optimize_image
from dynaseg.engine.precision import precision_scope, wrap_stack
from dynaseg.engine.stack import SingleModel
from dynaseg.models.backbones import DynaSegCNN
from dynaseg.models.losses import DynaSegLoss
from dynaseg.testing import piecewise_image

SGD = dict(type='SGD', lr=0.1, momentum=0.9)
SETTINGS = EngineSettings(schedule=Schedule(max_iters=20, min_labels=0))


@pytest.fixture(autouse=True)
def one_thread():
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def factory():
    return DynaSegCNN(channels=16, out_channels=16)


def images(count=2):
    return [
        torch.from_numpy(piecewise_image(48, 64, noise=8 * i, seed=i)[0])
        .permute(2, 0, 1)
        .float()[None]
        / 255.0
        for i in range(count)
    ]


def test_fp32_default_is_bit_identical_and_the_stack_is_untouched():
    image = images(1)[0]
    plain = optimize_image(image, factory, DynaSegLoss(), SGD, SETTINGS, seed=3)
    explicit = optimize_image(
        image, factory, DynaSegLoss(), SGD, replace(SETTINGS, precision='fp32'), seed=3
    )
    np.testing.assert_array_equal(plain[0], explicit[0])
    assert plain[1].losses == explicit[1].losses
    net = SingleModel(factory(), 'cpu')
    assert wrap_stack(net, torch.device('cpu'), 'fp32', False) is net
    with precision_scope('tf32', torch.device('cpu')):  # nothing a CPU reads is changed
        tf32 = optimize_image(image, factory, DynaSegLoss(), SGD, SETTINGS, seed=3)
    np.testing.assert_array_equal(plain[0], tf32[0])
    with pytest.raises(ValueError, match='precision'):
        optimize_image(
            image, factory, DynaSegLoss(), SGD, replace(SETTINGS, precision='fp16'), seed=3
        )


def test_bf16_autocast_runs_batched_and_agrees_loosely():
    imgs = images(2)
    fp32 = optimize_batch(imgs, factory, DynaSegLoss(), SGD, SETTINGS, [0, 1])
    bf16 = optimize_batch(
        imgs, factory, DynaSegLoss(), SGD, replace(SETTINGS, precision='bf16'), [0, 1]
    )
    for (a, rec_a), (b, rec_b) in zip(fp32, bf16):
        assert b.shape == a.shape and b.dtype == a.dtype
        assert rec_b.iterations == 20 and all(np.isfinite(rec_b.losses))
        # bf16 keeps 8 mantissa bits: the trajectories drift, the partition stays close.
        assert (a == b).mean() >= 0.6
        assert abs(rec_a.losses[0] - rec_b.losses[0]) < 0.05 * abs(rec_a.losses[0])


def test_compiled_extractor_matches_eager():
    image = images(1)[0]
    settings = EngineSettings(schedule=Schedule(max_iters=5, min_labels=0))
    eager = optimize_image(image, factory, DynaSegLoss(), SGD, settings, seed=1)
    compiled = optimize_image(
        image, factory, DynaSegLoss(), SGD, replace(settings, compile_extractor='eager'), seed=1
    )
    np.testing.assert_array_equal(eager[0], compiled[0])
    np.testing.assert_allclose(eager[1].losses, compiled[1].losses, rtol=1e-6)
