"""The per-image segmentor: warm start from init_checkpoint, the scribble it accepts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dynaseg.apis import load_config
from dynaseg.apis.inference import build_segmentor, image_to_tensor
from dynaseg.engine.reference_image import save_reference_checkpoint
from dynaseg.models.segmentors import DynaSeg
from dynaseg.testing import piecewise_image

TINY = {
    'model.backbone.channels': 8,
    'model.backbone.out_channels': 8,
    'model.silhouette.enabled': False,
    'model.schedule.max_iters': 3,
    'model.schedule.coarse_max_pixels': None,
}


def tiny(**extra) -> DynaSeg:
    model = build_segmentor(load_config(None, dict(TINY, **extra)))
    assert isinstance(model, DynaSeg)
    return model


def trained_state(path: Path) -> dict[str, torch.Tensor]:
    """A checkpoint unlike any seeded initialisation: a network fitted for a few steps."""
    source = tiny(**{'model.seed': 11})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        net = source.build_extractor()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p))
    save_reference_checkpoint(net, path)
    return torch.load(path, weights_only=True)


def test_init_checkpoint_is_loaded_into_every_fresh_extractor(tmp_path: Path):
    state = trained_state(tmp_path / 'warm.pth')
    model = tiny(**{'model.init_checkpoint': str(tmp_path / 'warm.pth')})
    for _ in range(2):
        built = model.build_extractor().state_dict()
        assert all(torch.equal(built[k], v) for k, v in state.items())
    cold = tiny().build_extractor().state_dict()
    assert not all(torch.equal(cold[k], v) for k, v in state.items())


def test_optimisation_starts_from_the_init_checkpoint(tmp_path: Path):
    """With a zero learning rate the labels are the checkpoint network's own argmax."""
    state = trained_state(tmp_path / 'warm.pth')
    options = {'model.init_checkpoint': str(tmp_path / 'warm.pth'), 'model.optimizer.lr': 0.0}
    model = tiny(**options)
    image = image_to_tensor(piecewise_image(16, 20)[0], model)
    labels, record = model.segment(image)
    net = tiny().build_extractor()
    net.load_state_dict(state)
    with torch.no_grad():
        expected = net.train()(image)[0].argmax(0).numpy()
    np.testing.assert_array_equal(labels, expected)
    cold, _ = tiny(**{'model.optimizer.lr': 0.0}).segment(image)
    assert not np.array_equal(cold, labels)
    assert record.iterations == 3


def test_relative_init_checkpoint_is_taken_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    trained_state(tmp_path / 'warm.pth')
    monkeypatch.chdir(tmp_path)
    model = tiny(**{'model.init_checkpoint': 'warm.pth'})
    assert model.init_checkpoint == str(tmp_path / 'warm.pth')
    monkeypatch.chdir(tmp_path.parent)  # later directory changes do not matter
    model.build_extractor()


def test_missing_init_checkpoint_names_the_path(tmp_path: Path):
    missing = tmp_path / 'nowhere' / 'warm.pth'
    with pytest.raises(FileNotFoundError, match=r"init checkpoint '.*nowhere/warm\.pth'"):
        tiny(**{'model.init_checkpoint': str(missing)})


def test_segment_checks_only_the_scribble_shape():
    model = tiny()
    image = image_to_tensor(piecewise_image(16, 20)[0], model)
    with pytest.raises(ValueError, match=r'scribble mask of shape \(3, 3\)'):
        model.segment(image, scribble=np.zeros((3, 3), np.int64))
    mask = np.full((16, 20), 255, np.int64)
    mask[4, 2:9] = 5
    labels, _ = model.segment(image, scribble=mask)
    assert labels.shape == (16, 20)
