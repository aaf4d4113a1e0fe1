"""Batched optimisation: same results as one image at a time, per-model stopping, buckets.

One engine serves both: a single image runs as a stack of one (``SingleModel``), a batch as a
grouped ``StackedCNN``; these tests check that the two agree entry by entry.
"""

import numpy as np
import pytest
import torch

from dynaseg.engine import (
    EngineSettings,
    NonFiniteBatchError,
    NonFiniteLossError,
    OptimizationRecord,
    Schedule,
    SilhouetteConfig,
    SingleModel,
    StackedCNN,
    bucket_by_size,
    loop,
    optimize_batch,
    optimize_image,
    optimize_many,
)
from dynaseg.models.backbones import DynaSegCNN
from dynaseg.models.losses import DynaSegLoss
from dynaseg.testing import piecewise_image

SGD = dict(type='SGD', lr=0.1, momentum=0.9)
TWO_ITERATIONS = EngineSettings(schedule=Schedule(max_iters=2))


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: the suite's machines are shared, and a contended OpenMP
    barrier makes these tiny iterations many times slower. Both sides of every
    comparison run under the same setting."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def to_tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1).float()[None] / 255.0


def factory():
    return DynaSegCNN(channels=16, out_channels=16)


def seeded_models(seeds, make=factory):
    """The networks optimize_image would build for these seeds."""
    models = []
    for seed in seeds:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            models.append(make())
    return models


def images(height=48, width=64, count=4):
    # Different noise levels make the label counts (and so the stopping points) differ.
    return [
        to_tensor(piecewise_image(height, width, noise=[0, 8, 30, 16][i % 4], seed=i)[0])
        for i in range(count)
    ]


def one_at_a_time(imgs, settings, seeds, loss=None):
    loss = loss or DynaSegLoss()
    return [
        optimize_image(image, factory, loss, SGD, settings, seed=seed)
        for image, seed in zip(imgs, seeds)
    ]


def assert_equivalent(single, batch, min_agreement=0.99):
    """Labels agree on >= 99% of pixels, label counts within 1, early losses to 1e-4.

    Grouped and separate convolutions sum in a different order; the ~1e-7 relative
    differences grow once the argmax targets of a few pixels flip (one-at-a-time runs
    with 1 vs 2 threads diverge as much), and a label count differing by one changes
    w(q), so only the first iterations' losses are compared closely.
    """
    assert len(single) == len(batch)
    for (labels_a, rec_a), (labels_b, rec_b) in zip(single, batch):
        assert labels_a.shape == labels_b.shape
        assert (labels_a == labels_b).mean() >= min_agreement
        assert len(rec_a.label_counts) == len(rec_b.label_counts) == rec_b.iterations
        assert rec_a.iterations == rec_b.iterations
        assert rec_a.stop_reason == rec_b.stop_reason
        assert rec_a.stage_sizes == rec_b.stage_sizes
        assert rec_a.stage_iterations == rec_b.stage_iterations
        assert rec_a.silhouette_k == rec_b.silhouette_k
        assert max(abs(a - b) for a, b in zip(rec_a.label_counts, rec_b.label_counts)) <= 1
        np.testing.assert_allclose(rec_b.losses[:2], rec_a.losses[:2], rtol=1e-4)


@pytest.mark.parametrize('weight', ['SCFWeight', 'FSFWeight', 'FixedWeight'])
def test_matches_one_at_a_time(weight):
    imgs, seeds = images(count=3 if weight != 'SCFWeight' else 4), [0, 1, 2, 7]
    seeds = seeds[: len(imgs)]
    settings = EngineSettings(
        schedule=Schedule(max_iters=15 if weight == 'SCFWeight' else 10, min_labels=0)
    )
    loss = DynaSegLoss(dict(type=weight))
    single = one_at_a_time(imgs, settings, seeds, loss)
    batch = optimize_batch(imgs, factory, loss, SGD, settings, seeds)
    assert_equivalent(single, batch)
    assert all(record.stop_reason == 'max_iters' for _, record in batch)


def test_per_model_stopping_and_coarse_to_fine():
    # Two stages (24x32 coarse, 48x64 working); patience stops each model at its own
    # iteration in the coarse stage, and every model resumes for the refinement.
    imgs, seeds = images(count=3), [0, 1, 2]
    settings = EngineSettings(
        schedule=Schedule(
            max_iters=40, min_labels=0, patience=3, coarse_max_pixels=800, refine_iters=5
        )
    )
    single = one_at_a_time(imgs, settings, seeds)
    batch = optimize_batch(imgs, factory, DynaSegLoss(), SGD, settings, seeds)
    assert_equivalent(single, batch)
    assert all(len(record.stage_sizes) == 2 for _, record in batch)
    assert len({record.stage_iterations[0] for _, record in batch}) > 1


def test_stopped_model_is_frozen_while_others_continue():
    imgs, seeds = images(32, 48, count=3), [0, 1, 2]
    schedule = Schedule(max_iters=30, min_labels=0, patience=3)
    net = StackedCNN(seeded_models(seeds))
    optimizer = torch.optim.SGD(net.parameters(), **{k: v for k, v in SGD.items() if k != 'type'})
    records = [OptimizationRecord() for _ in seeds]
    stage = loop.Stage(
        torch.cat(imgs, dim=1), None, schedule.max_iters, torch.ones(3, dtype=torch.long), [0] * 3
    )
    settings = EngineSettings(schedule=schedule, channels_last=False)
    run = loop.StackRun(factory, DynaSegLoss(), SGD, settings)
    with torch.enable_grad():
        outcome = run._run_stage(net, optimizer, stage, records, [0, 1, 2], None)
    stops = [outcome[n][0] for n in range(3)]
    assert len(set(stops)) == 3 and max(stops) < schedule.max_iters, stops
    assert [r.iterations for r in records] == stops

    def trained(index, iterations):
        """Model ``index`` trained alone for exactly ``iterations`` steps."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seeds[index])
            model = factory().train()
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(iterations):
            opt.zero_grad()
            DynaSegLoss()(model(imgs[index])).loss.backward()
            opt.step()
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    for n in range(3):
        # The stacked leaves are in the model's parameter order, model axis first.
        mine = torch.cat([p[n].flatten() for p in net.parameters()])
        # Grouped and single convolutions round differently: up to ~4e-4 apart after 17
        # iterations here, while a model that kept moving after its stop is ~0.5 away.
        torch.testing.assert_close(mine, trained(n, stops[n]), rtol=1e-3, atol=1e-3)
        # Had momentum kept moving it after its stop, it would look like this instead.
        assert not torch.allclose(mine, trained(n, max(stops)), rtol=1e-3, atol=1e-3) or stops[
            n
        ] == max(stops)
    # Its optimiser state was restored too: the momentum buffer is the one at its stop.
    for p in net.parameters():
        assert optimizer.state[p]['momentum_buffer'].shape == p.shape


def test_min_labels_stop_and_check_every():
    imgs, seeds = images(count=3), [3, 4, 5]
    settings = EngineSettings(schedule=Schedule(max_iters=25, min_labels=6, check_every=4))
    single = one_at_a_time(imgs, settings, seeds)
    seen = []
    batch = optimize_batch(
        imgs,
        factory,
        DynaSegLoss(),
        SGD,
        settings,
        seeds,
        on_iteration=lambda n, it, q: seen.append((n, it)),
    )
    assert_equivalent(single, batch)
    assert any(record.stop_reason == 'min_labels' for _, record in batch)
    assert all(it % 4 == 0 or it == 25 for _, it in seen)


def test_silhouette_floor_matches():
    imgs, seeds = images(count=2), [0, 1]
    settings = EngineSettings(
        schedule=Schedule(max_iters=8, min_labels=0),
        silhouette=SilhouetteConfig(enabled=True, k_min=3, k_max=6, num_samples=150),
    )
    single = one_at_a_time(imgs, settings, seeds)
    batch = optimize_batch(imgs, factory, DynaSegLoss(), SGD, settings, seeds)
    assert_equivalent(single, batch)
    assert all(record.silhouette_k is not None for _, record in batch)


def test_mixed_sizes_are_bucketed_in_order():
    imgs = [
        images(32, 48, 1)[0],
        images(40, 40, 1)[0],
        images(32, 48, 2)[1],
        images(40, 40, 3)[2],
        images(32, 48, 3)[2],
    ]
    assert bucket_by_size(imgs) == {(32, 48): [0, 2, 4], (40, 40): [1, 3]}
    arrays = [np.zeros((5, 7, 3)), np.zeros((5, 7, 3)), np.zeros((2, 2, 3))]
    assert bucket_by_size(arrays) == {(5, 7): [0, 1], (2, 2): [2]}
    seeds = [10, 11, 12, 13, 14]
    settings = EngineSettings(schedule=Schedule(max_iters=6, min_labels=0))
    single = one_at_a_time(imgs, settings, seeds)
    batch = optimize_many(imgs, factory, DynaSegLoss(), SGD, settings, seeds, batch_size=2)
    assert [labels.shape for labels, _ in batch] == [
        (32, 48),
        (40, 40),
        (32, 48),
        (40, 40),
        (32, 48),
    ]
    assert_equivalent(single, batch)


def test_global_rng_untouched_and_inputs_checked():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    imgs = images(16, 16, 2)
    optimize_batch(imgs, factory, DynaSegLoss(), SGD, TWO_ITERATIONS, [0, 1])
    torch.testing.assert_close(torch.rand(3), expected)

    with pytest.raises(ValueError, match='one shape'):
        optimize_batch(
            [imgs[0], images(16, 20, 1)[0]],
            factory,
            DynaSegLoss(),
            SGD,
            TWO_ITERATIONS,
            [0, 1],
        )
    with pytest.raises(ValueError, match='seeds'):
        optimize_batch(imgs, factory, DynaSegLoss(), SGD, TWO_ITERATIONS, [0])
    with pytest.raises(ValueError, match='DynaSegCNN'):
        optimize_batch(
            imgs,
            lambda: torch.nn.Conv2d(3, 4, 1),
            DynaSegLoss(),
            SGD,
            TWO_ITERATIONS,
            [0, 1],
        )
    assert optimize_batch([], factory, DynaSegLoss(), SGD, TWO_ITERATIONS, []) == []
    tiny = optimize_batch(
        [torch.rand(1, 3, 1, 1)] * 2, factory, DynaSegLoss(), SGD, TWO_ITERATIONS, [0, 1]
    )
    assert [(labels.shape, record.stop_reason) for labels, record in tiny] == [
        ((1, 1), 'single_pixel')
    ] * 2


def test_resnet_extractor_is_refused():
    from dynaseg.models.backbones import ResNetFPNExtractor

    with pytest.raises(ValueError, match='DynaSegCNN'):
        StackedCNN([ResNetFPNExtractor()])


def test_replicate_padding_and_deeper_model():
    def deep():
        return DynaSegCNN(channels=8, out_channels=12, num_convs=3, padding_mode='replicate')

    imgs, seeds = images(24, 32, 2), [0, 1]
    settings = EngineSettings(schedule=Schedule(max_iters=10, min_labels=0))
    single = [
        optimize_image(i, deep, DynaSegLoss(), SGD, settings, seed=s) for i, s in zip(imgs, seeds)
    ]
    batch = optimize_batch(imgs, deep, DynaSegLoss(), SGD, settings, seeds)
    assert_equivalent(single, batch)


def test_diverged_models_are_reported_with_the_rest():
    imgs = images(16, 16, 2)
    with pytest.raises(NonFiniteBatchError) as info:
        optimize_batch(
            imgs,
            factory,
            DynaSegLoss(),
            dict(type='SGD', lr=1e30),
            EngineSettings(schedule=Schedule(max_iters=50)),
            [0, 1],
        )
    assert isinstance(info.value, NonFiniteLossError)
    assert info.value.failed == [0, 1]
    assert all(
        labels is None and record.stop_reason == 'non_finite'
        for labels, record in info.value.results
    )


def test_a_loss_subclass_sees_the_batch_and_drives_each_model_by_its_own_loss():
    """No per-model dispatch: a subclass gets all A responses and returns per-sample losses."""
    seen = []

    class Halved(DynaSegLoss):
        def forward(self, response, q_floor=1, **kwargs):
            seen.append(response.shape[0])
            out = super().forward(response, q_floor, **kwargs)
            return out._replace(loss=out.loss / 2)

    imgs, seeds = images(24, 32, 2), [0, 1]
    settings = EngineSettings(schedule=Schedule(max_iters=4, min_labels=0))
    single = one_at_a_time(imgs, settings, seeds, Halved())
    seen.clear()
    batch = optimize_batch(imgs, factory, Halved(), SGD, settings, seeds)
    assert seen == [2] * 4
    assert_equivalent(single, batch)
    plain = optimize_batch(imgs, factory, DynaSegLoss(), SGD, settings, seeds)
    np.testing.assert_allclose(batch[0][1].losses[0], plain[0][1].losses[0] / 2, rtol=1e-6)


def test_stacked_entries_answer_like_single_models():
    """StackedCNN (N > 1) entry n == SingleModel of model n (N = 1), for all or some models."""
    imgs = images(20, 24, 3)
    stacked = StackedCNN(seeded_models([0, 1, 2]))
    singles = [SingleModel(m, 'cpu', channels_last=False) for m in seeded_models([0, 1, 2])]
    with torch.no_grad():
        everything = stacked(torch.cat(imgs, dim=1))
        some = stacked(torch.cat([imgs[0], imgs[2]], dim=1), torch.tensor([0, 2]))
        alone = [single(image) for single, image in zip(singles, imgs)]
    assert everything.shape == (3, 16, 20, 24) and some.shape == (2, 16, 20, 24)
    for n in range(3):
        torch.testing.assert_close(everything[n : n + 1], alone[n], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(some[1:], alone[2], rtol=1e-4, atol=1e-4)


def test_one_image_runs_the_same_through_either_stack():
    """The engine with a stack of one SingleModel and with a one-model StackedCNN agree."""
    image = images(24, 32, 1)
    settings = EngineSettings(
        schedule=Schedule(max_iters=12, min_labels=0, patience=4),
        channels_last=False,
        tune_allocator=False,
    )

    def single(models, device):
        return SingleModel(models[0], device, channels_last=False)

    run = loop.StackRun(factory, DynaSegLoss(), SGD, settings)
    runs = [run(image, [5], build, None) for build in (single, StackedCNN)]
    (labels_a,), (record_a,), failed_a = runs[0]
    (labels_b,), (record_b,), failed_b = runs[1]
    assert failed_a == failed_b == []
    assert_equivalent([(labels_a, record_a)], [(labels_b, record_b)])


def test_plain_cnns_are_recognised_by_structure():
    """Any model with a ``layers`` Sequential of Conv2d/ReLU/BatchNorm2d can be stacked."""

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.Sequential(
                torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.BatchNorm2d(6)
            )

        def forward(self, x):
            return self.layers(x)

    imgs, seeds = images(16, 16, 2), [0, 1]
    settings = EngineSettings(schedule=Schedule(max_iters=3, min_labels=0))
    single = [
        optimize_image(i, Tiny, DynaSegLoss(), SGD, settings, seed=s) for i, s in zip(imgs, seeds)
    ]
    assert_equivalent(single, optimize_batch(imgs, Tiny, DynaSegLoss(), SGD, settings, seeds))
