"""The per-image segmentor: warm start from model.checkpoint, the scribble it accepts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dynaseg.apis import load_config
from dynaseg.apis.inference import build_segmentor, image_to_tensor
from dynaseg.engine.weights import save_extractor_weights
from dynaseg.models.segmentors import DynaSeg
from dynaseg.testing import piecewise_image

TINY = {
    'model.backbone.channels': 8,
    'model.backbone.out_channels': 8,
    'model.silhouette.enabled': False,
    'model.schedule.max_iters': 3,
    'model.schedule.coarse_max_pixels': None,
    'model.refine': None,  # the optimisation's own labels (the refiners: test_refiners.py)
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
    save_extractor_weights(net, path)
    return torch.load(path, weights_only=True)


def test_checkpoint_is_loaded_into_every_fresh_extractor(tmp_path: Path):
    state = trained_state(tmp_path / 'warm.pth')
    model = tiny(**{'model.checkpoint': str(tmp_path / 'warm.pth')})
    for _ in range(2):
        built = model.build_extractor().state_dict()
        assert all(torch.equal(built[k], v) for k, v in state.items())
    cold = tiny().build_extractor().state_dict()
    assert not all(torch.equal(cold[k], v) for k, v in state.items())


def test_optimisation_starts_from_the_checkpoint(tmp_path: Path):
    """With a zero learning rate the labels are the checkpoint network's own argmax."""
    state = trained_state(tmp_path / 'warm.pth')
    options = {'model.checkpoint': str(tmp_path / 'warm.pth'), 'model.optimizer.lr': 0.0}
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


def test_relative_checkpoint_is_taken_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    trained_state(tmp_path / 'warm.pth')
    monkeypatch.chdir(tmp_path)
    model = tiny(**{'model.checkpoint': 'warm.pth'})
    assert model.checkpoint == str(tmp_path / 'warm.pth')
    monkeypatch.chdir(tmp_path.parent)  # later directory changes do not matter
    model.build_extractor()


def test_missing_checkpoint_names_the_path(tmp_path: Path):
    missing = tmp_path / 'nowhere' / 'warm.pth'
    with pytest.raises(FileNotFoundError, match=r"extractor checkpoint '.*nowhere/warm\.pth'"):
        tiny(**{'model.checkpoint': str(missing)})


def test_segment_checks_only_the_scribble_shape():
    model = tiny()
    image = image_to_tensor(piecewise_image(16, 20)[0], model)
    with pytest.raises(ValueError, match=r'scribble mask of shape \(3, 3\)'):
        model.segment(image, scribble=np.zeros((3, 3), np.int64))
    mask = np.full((16, 20), 255, np.int64)
    mask[4, 2:9] = 5
    labels, guided = model.segment(image, scribble=mask)
    assert labels.shape == (16, 20)
    # The scribble reaches the loss: its stroke takes the scribbled label, unlike without it,
    # and the first loss gains the (positive) scribble cross-entropy.
    unguided_labels, unguided = model.segment(image)
    assert (labels[4, 2:9] == 5).all() and not (unguided_labels[4, 2:9] == 5).all()
    assert guided.losses[0] > unguided.losses[0]


def test_num_segments_and_consensus_are_off_by_default():
    model = tiny()
    assert model.engine.num_segments is None and model.engine.consensus is None
    image = image_to_tensor(piecewise_image(16, 20)[0], model)
    explicit = tiny(**{'model.num_segments': 'auto', 'model.consensus': None})
    np.testing.assert_array_equal(model.segment(image)[0], explicit.segment(image)[0])


@pytest.mark.parametrize('value', [0, -2, 'three', 2.5])
def test_num_segments_must_be_auto_or_a_positive_int(value):
    with pytest.raises(ValueError, match='num_segments'):
        tiny(**{'model.num_segments': value})


@pytest.mark.parametrize('k', [2, 5])
def test_num_segments_gives_exactly_k_labels(k):
    model = tiny(**{'model.num_segments': k, 'model.schedule.max_iters': 10})
    labels, record = model.segment(image_to_tensor(piecewise_image(20, 24)[0], model))
    assert sorted(np.unique(labels).tolist()) == list(range(k))
    assert record.num_segments == k and record.warnings == []


def test_num_segments_below_the_scribble_classes_is_refused():
    model = tiny(**{'model.num_segments': 2})
    image = image_to_tensor(piecewise_image(16, 20)[0], model)
    mask = np.full((16, 20), 255, np.int64)
    mask[2, 2:9], mask[8, 2:9], mask[14, 2:9] = 1, 3, 5
    with pytest.raises(ValueError, match='num_segments=2 is fewer than the 3 scribble classes'):
        model.segment(image, scribble=mask)
    labels, record = tiny(**{'model.num_segments': 3}).segment(image, scribble=mask)
    assert len(np.unique(labels)) == 3 and record.num_segments == 3


def test_consensus_returns_the_medoid_run(monkeypatch: pytest.MonkeyPatch):
    """Three seeds in one batch (a plain CNN stacks); the medoid's labels and record, each
    seed's summary kept, the total time charged."""
    model = tiny(**{'model.consensus': dict(seeds=3), 'model.seed': 4})
    image = image_to_tensor(piecewise_image(16, 20)[0], model)
    batches: list[list[int]] = []
    segment_stacked = model._segment_stacked

    def spy(images, seeds, on_iteration):
        batches.append(list(seeds))
        runs = segment_stacked(images, seeds, on_iteration)
        spy.runs = runs  # type: ignore[attr-defined]
        return runs

    monkeypatch.setattr(model, '_segment_stacked', spy)
    labels, record = model.segment(image)
    assert batches == [[4, 5, 6]]
    runs = spy.runs  # type: ignore[attr-defined]
    summaries = record.seed_runs
    assert [s['seed'] for s in summaries] == [4, 5, 6]
    (chosen,) = [i for i, s in enumerate(summaries) if s['chosen']]
    assert summaries[chosen]['mean_vi'] == min(s['mean_vi'] for s in summaries)
    np.testing.assert_array_equal(labels, runs[chosen][0])
    assert record.label_counts == runs[chosen][1].label_counts
    assert record.seconds == pytest.approx(sum(r.seconds for _, r in runs))
    assert [s['num_labels'] for s in summaries] == [len(np.unique(lab)) for lab, _ in runs]
    # A dataset run batches each image's seeds, not several images.
    assert 'consensus of 3 seeds' in str(model.batch_unsupported_reason())


def test_consensus_with_a_scribble_runs_the_seeds_one_after_another():
    model = tiny(**{'model.consensus': dict(seeds=2)})
    image = image_to_tensor(piecewise_image(16, 20)[0], model)
    mask = np.full((16, 20), 255, np.int64)
    mask[4, 2:9] = 5
    labels, record = model.segment(image, scribble=mask, seed=7)
    alone = [model._segment_seed(image, s, None, torch.as_tensor(mask)) for s in (7, 8)]
    chosen = [s['chosen'] for s in record.seed_runs].index(True)
    np.testing.assert_array_equal(labels, alone[chosen][0])


def test_mmengine_loss_prepares_each_images_context_from_the_batch():
    """DynaSegBase.loss (mmengine's train step) works with edge-aware continuity and
    superpixel targets: each image's guides come from its own pixels."""
    from dynaseg.models.losses import LossContext

    batch = torch.cat([image_to_tensor(piecewise_image(16, 20, seed=s)[0], tiny()) for s in (1, 2)])
    edges = tiny(**{'model.loss.continuity': dict(edge_sigma=0.1)})
    got = edges.loss(batch)
    with torch.no_grad():
        response = edges.backbone(batch)
    singles = [edges.loss_fn.prepare(batch[i : i + 1]) for i in range(2)]
    assert all(c is not None and c.edge_weights is not None for c in singles)
    context = LossContext(
        tuple(torch.cat(ws) for ws in zip(*(c.edge_weights for c in singles))), None, 0
    )
    expected = edges.loss_fn(response, context=context).loss.mean()
    torch.testing.assert_close(got['loss'].detach(), expected)
    # The plain loss is unchanged: no context, the same value as before (the default config has
    # edge-aware continuity, so it is switched off here).
    plain = tiny(**{'model.loss.continuity': dict(edge_sigma=None)})
    with torch.no_grad():
        plain_expected = plain.loss_fn(plain.backbone(batch)).loss.mean()
    torch.testing.assert_close(plain.loss(batch)['loss'].detach(), plain_expected)
    assert not torch.allclose(got['loss'].detach(), plain_expected)
    target = {'model.loss.target': dict(type='superpixel', n_segments=20, compactness=10.0)}
    superpixel = tiny(**target).loss(batch)
    superpixel['loss'].backward()
    assert torch.isfinite(superpixel['loss'])
