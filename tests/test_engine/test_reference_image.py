"""Reference-image mode (its own segmentor): training over a set, checkpoint round trip,
single-forward inference, and turning a per-image config into a reference-image one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dynaseg.apis import load_config
from dynaseg.apis.inference import build_segmentor, image_to_tensor
from dynaseg.engine.reference_image import batch_statistics, reference_segment
from dynaseg.engine.weights import load_extractor_weights, save_extractor_weights
from dynaseg.models.segmentors import DynaSeg, DynaSegReferenceImage, reference_image_config
from dynaseg.testing import piecewise_image

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-scf_cnn-m2_reference_bsds500.py'
TINY = {
    'model.backbone.channels': 8,
    'model.backbone.out_channels': 8,
}


def tiny_model(**extra):
    return build_segmentor(load_config(CONFIG, dict(TINY, **extra)))


def images(model, count: int = 3) -> list[torch.Tensor]:
    return [image_to_tensor(piecewise_image(16, 20, seed=i)[0], model) for i in range(count)]


def test_training_changes_the_backbone_and_records_every_step():
    model = tiny_model()
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    record = model.train_reference(images(model), iters=6)
    assert record.iterations == 6 and len(record.losses) == 6 and record.num_images == 3
    assert all(np.isfinite(record.losses)) and model.trained
    after = model.backbone.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_checkpoint_round_trip_loads_with_weights_only(tmp_path: Path):
    model = tiny_model()
    model.train_reference(images(model, 2), iters=3)
    path = tmp_path / 'sub' / 'ref.pth'
    save_extractor_weights(model.backbone, path)
    state = torch.load(path, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    loaded = tiny_model(**{'model.checkpoint': str(path)})
    assert isinstance(loaded, DynaSegReferenceImage) and loaded.trained
    for name, tensor in model.backbone.state_dict().items():
        assert torch.equal(tensor, loaded.backbone.state_dict()[name])
    x = images(model, 1)[0]
    labels_a, _ = model.segment(x)
    labels_b, record = loaded.segment(x)
    np.testing.assert_array_equal(labels_a, labels_b)
    assert record.stop_reason == 'reference_forward' and record.iterations == 0


def test_checkpoint_of_another_backbone_is_refused(tmp_path: Path):
    model = tiny_model()
    path = tmp_path / 'ref.pth'
    save_extractor_weights(model.backbone, path)
    other = tiny_model()
    with pytest.raises(ValueError, match="does not fit the config's backbone"):
        load_extractor_weights(
            build_segmentor(
                load_config(CONFIG, dict(TINY, **{'model.backbone.channels': 4}))
            ).backbone,
            path,
        )
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_extractor_weights(other.backbone, tmp_path / 'missing.pth')


@pytest.mark.parametrize('bn_stats', ['batch', 'running'])
def test_single_forward_labels_at_the_input_size(bn_stats: str):
    model = tiny_model()
    model.train_reference(images(model, 2), iters=2)
    running = model.backbone.layers[-1].running_mean.clone()  # the response BatchNorm
    image = image_to_tensor(piecewise_image(30, 50, seed=7)[0], model)
    labels = reference_segment(model.backbone, image, max_pixels=400, bn_stats=bn_stats)
    assert labels.shape == (30, 50) and labels.dtype == torch.long
    assert int(labels.max()) < model.q_max
    # Inference never moves the running statistics.
    assert torch.equal(running, model.backbone.layers[-1].running_mean)


def test_batch_statistics_leaves_buffers_and_modes_untouched():
    model = tiny_model()
    net = model.backbone.eval()
    buffers = {k: v.clone() for k, v in net.state_dict().items()}
    with torch.no_grad(), batch_statistics(net):
        out_batch = net(images(model, 1)[0])
    out_running = net(images(model, 1)[0])
    assert not net.training
    assert all(torch.equal(buffers[k], v) for k, v in net.state_dict().items())
    # Untrained (BN bias 0): batch statistics give every response channel zero mean.
    assert out_batch.mean(dim=(0, 2, 3)).abs().max() < 1e-4
    assert not torch.allclose(out_batch, out_running)


def test_scribbles_are_refused_in_reference_mode():
    model = tiny_model()
    model.train_reference(images(model, 1), iters=1)
    with pytest.raises(ValueError, match='reference mode'):
        model.segment(images(model, 1)[0], scribble=np.zeros((16, 20), np.int64))


def test_an_untrained_reference_network_refuses_to_segment():
    model = tiny_model()
    assert not model.trained
    with pytest.raises(RuntimeError, match='untrained'):
        model.segment(images(model, 1)[0])


def test_a_per_image_config_becomes_a_reference_image_one(tmp_path: Path):
    per_image = load_config(None, TINY)
    assert isinstance(build_segmentor(per_image), DynaSeg)
    cfg = reference_image_config(per_image.model, checkpoint=None)
    assert cfg['type'] == 'DynaSegReferenceImage' and cfg['checkpoint'] is None
    assert not {'schedule', 'silhouette', 'scribble'} & set(cfg)
    assert cfg['backbone'] == per_image.model.backbone and cfg['loss'] == per_image.model.loss
    per_image.model = cfg
    model = build_segmentor(per_image)
    assert isinstance(model, DynaSegReferenceImage) and not isinstance(model, DynaSeg)
    model.train_reference(images(model, 1), iters=1)
    path = tmp_path / 'ref.pth'
    save_extractor_weights(model.backbone, path)
    # Applied to a reference-image config, only the checkpoint changes.
    again = reference_image_config(cfg, str(path))
    assert again == dict(cfg, checkpoint=str(path))


def trained_tiny(**extra) -> DynaSegReferenceImage:
    model = tiny_model(**extra)
    model.train_reference(images(model, 2), iters=2)
    return model


def test_one_pass_labels_are_the_argmax_of_the_forward_by_default():
    model = trained_tiny()
    assert model.engine.num_segments is None
    x = image_to_tensor(piecewise_image(18, 22, seed=5)[0], model)  # under max_pixels: no resize
    with torch.no_grad(), batch_statistics(model.backbone):
        expected = model.backbone(x)[0].argmax(0).numpy()
    labels, record = model.segment(x)
    np.testing.assert_array_equal(labels, expected)
    assert record.num_segments is None and record.warnings == []
    explicit = tiny_model(**{'model.num_segments': 'auto'})
    explicit.backbone.load_state_dict(model.backbone.state_dict())
    explicit.trained = True
    np.testing.assert_array_equal(explicit.segment(x)[0], labels)


@pytest.mark.parametrize('k', [2, 5, 12])
def test_one_pass_num_segments_gives_exactly_k_labels(k: int):
    """Fewer labels than the argmax gives: channel groups (each label a union of argmax
    labels); more: splits. Either way exactly K, as the per-image path makes them."""
    model = trained_tiny(**{'model.num_segments': k})
    x = image_to_tensor(piecewise_image(30, 40, seed=3)[0], model)
    argmax = reference_segment(model.backbone, x).numpy()
    labels, record = model.segment(x)
    assert labels.shape == (30, 40)
    assert sorted(np.unique(labels).tolist()) == list(range(k))
    assert record.num_segments == k and record.warnings == []
    if k < len(np.unique(argmax)):
        for channel in np.unique(argmax):
            assert len(np.unique(labels[argmax == channel])) == 1


def test_one_pass_num_segments_warns_when_the_image_has_too_few_vectors():
    options = {'model.num_segments': 3, 'model.backbone.padding_mode': 'replicate'}
    model = trained_tiny(**options)
    flat = torch.zeros((1, 3, 12, 14))  # one colour, no zero border: one response vector
    labels, record = model.segment(flat)
    assert np.unique(labels).tolist() == [0]
    assert record.num_segments == 1 and 'only 1 distinct' in record.warnings[0]


@pytest.mark.parametrize('value', [0, 'three', 2.5])
def test_one_pass_num_segments_must_be_auto_or_a_positive_int(value):
    with pytest.raises(ValueError, match='num_segments'):
        tiny_model(**{'model.num_segments': value})


def test_consensus_is_dropped_from_and_refused_by_the_reference_image_mode():
    per_image = load_config(None, dict(TINY, **{'model.consensus': dict(seeds=3)}))
    cfg = reference_image_config(per_image.model, checkpoint=None)
    assert 'consensus' not in cfg
    reference = load_config(CONFIG, TINY)
    reference.model.consensus = dict(seeds=3)
    with pytest.raises(ValueError, match='consensus: per-image optimisation setting,'):
        build_segmentor(reference)


LEVERS = {
    'model.loss.continuity': dict(edge_sigma=0.2),
    'model.loss.target': dict(type='superpixel', n_segments=20, compactness=10.0),
}


def test_training_prepares_the_loss_context_once_per_image():
    """Edge-aware continuity and superpixel targets train too: each training image's guides
    are prepared on its first visit (at the training size) and reused when it comes back."""
    model = tiny_model(**LEVERS)
    assert model.loss_fn.needs_context
    prepared: list[torch.Tensor] = []
    prepare = model.loss_fn.prepare

    def recording(batch):
        prepared.append(batch.clone())
        return prepare(batch)

    model.loss_fn.prepare = recording  # type: ignore[method-assign]
    train = images(model, 2)
    record = model.train_reference(train, iters=6)
    assert record.iterations == 6 and all(np.isfinite(record.losses))
    assert len(prepared) == 2  # two images, three visits each
    assert sorted(p.sum().item() for p in prepared) == sorted(x.sum().item() for x in train)


def test_edge_aware_training_differs_from_the_plain_loss():
    plain = tiny_model()
    edges = tiny_model(**{'model.loss.continuity': dict(edge_sigma=0.05)})
    train = images(plain, 2)
    a = plain.train_reference(train, iters=2).losses
    b = edges.train_reference(train, iters=2).losses
    # Same network, same image: only the continuity weighting differs. Edge weights are at
    # most 1, so the first step's continuity term, and with it the loss, can only shrink.
    assert b[0] < a[0]
    # A very wide edge scale weights every neighbour pair by ~1: the plain loss again.
    flat = tiny_model(**{'model.loss.continuity': dict(edge_sigma=1e6)})
    assert flat.train_reference(train, iters=1).losses[0] == pytest.approx(a[0], rel=1e-6)
