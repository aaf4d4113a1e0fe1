"""Stopping-rule levers: the loss plateau, the Silhouette k as a stop target, per model."""

import pytest
import torch

from dynaseg.engine import (
    EngineSettings,
    Schedule,
    SilhouetteConfig,
    StopRule,
    optimize_batch,
    optimize_image,
)
from dynaseg.engine.schedule import LossPlateau
from dynaseg.models.backbones import DynaSegCNN
from dynaseg.models.losses import DynaSegLoss
from dynaseg.testing import piecewise_image

SGD = dict(type='SGD', lr=0.1, momentum=0.9)


@pytest.fixture(autouse=True)
def one_thread():
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def feed(rule: StopRule, counts: list[int], losses: list[float]) -> tuple[int, str] | None:
    """Feed one iteration at a time; (1-based iteration, reason) of the first stop."""
    for it, (count, loss) in enumerate(zip(counts, losses), start=1):
        reason = rule.update([count], [loss])
        if reason is not None:
            return it, reason
    return None


def test_plateau_on_a_hand_made_loss_sequence():
    """Window 3, rel_tol 0.1: the loss falls 10 -> 5.5 by 0.5, then stays at 5.

    Means of consecutive windows of three: it fires at the first iteration whose last three
    losses improved on the three before by less than 10% of the earlier mean.
    """
    losses = [10.0 - 0.5 * i for i in range(10)] + [5.0] * 10  # 10.0 ... 5.5, then 5.0
    plateau = LossPlateau(window=3, rel_tol=0.1)
    # By hand: after iteration 13 the windows are (6.5, 6.0, 5.5) and (5, 5, 5): 6.0 -> 5.0 is
    # 17%; after 14, (6.0, 5.5, 5.0) and (5, 5, 5): 5.5 -> 5.0 is 9% < 10%.
    assert feed(StopRule(1, None, plateau), [50] * len(losses), losses) == (14, 'loss_plateau')
    assert plateau.reached(losses[:13]) is False and plateau.reached(losses[:14]) is True


def test_plateau_needs_two_full_windows_and_ignores_a_falling_loss():
    rule = StopRule(1, None, LossPlateau(window=4, rel_tol=1e-3))
    assert feed(rule, [9] * 7, [1.0] * 7) is None  # flat, but 7 < 2 * 4 losses
    assert rule.update([9], [1.0]) == 'loss_plateau'
    falling = StopRule(1, None, LossPlateau(window=4, rel_tol=1e-3))
    assert feed(falling, [9] * 100, [1.0 / (1 + i) for i in range(100)]) is None


def test_plateau_reads_the_losses_of_a_read_in_order():
    """A read of several iterations (check_every > 1) is taken as one sequence."""
    rule = StopRule(1, None, LossPlateau(window=2, rel_tol=0.01))
    assert rule.update([9, 9, 9], [4.0, 3.0, 2.0]) is None  # three losses: too few
    assert rule.update([9], [2.0]) is None  # windows (4, 3) and (2, 2): 43% better
    # Then (3, 2) and (2, 2), still 20% better, and (2, 2) and (2, 2): the last one decides.
    assert rule.update([9, 9], [2.0, 2.0]) == 'loss_plateau'


def test_silhouette_k_is_a_stop_target_only_with_silhouette_stop():
    schedule = Schedule(min_labels=3)
    assert schedule.stop_rule(None, 7).update([7], [1.0]) is None  # a floor only
    target = Schedule(min_labels=3, silhouette_stop=True)
    assert target.stop_rule(None, 7).update([8], [1.0]) is None
    assert target.stop_rule(None, 7).update([7], [1.0]) == 'silhouette_k'
    # Without the Silhouette phase there is no k: the authors' rule alone.
    assert target.stop_rule(None, None).update([7], [1.0]) is None
    # min_labels first: 'silhouette_k' is reported only when that lever made the difference.
    assert target.stop_rule(None, 7).update([3], [1.0]) == 'min_labels'


def test_order_of_reasons():
    rule = StopRule(2, 1, LossPlateau(window=1, rel_tol=1.0), silhouette_k=4)
    assert rule.update([6], [1.0]) is None
    assert rule.update([6], [1.0]) == 'converged'  # patience before the plateau
    assert StopRule(2, None, LossPlateau(1, 1.0), 4).update([5, 5], [1.0, 1.0]) == 'loss_plateau'


def test_schedule_takes_the_plateau_as_a_config_dict():
    schedule = Schedule(loss_plateau=dict(window=20, rel_tol=1e-3))
    assert schedule.loss_plateau == LossPlateau(20, 1e-3)
    assert Schedule().loss_plateau is None and Schedule().silhouette_stop is False
    for bad in (dict(window=0), dict(rel_tol=-1.0), dict(rel_tol=float('nan'))):
        with pytest.raises(ValueError):
            Schedule(loss_plateau=bad)


def factory():
    return DynaSegCNN(channels=16, out_channels=16)


def image_tensor(seed: int) -> torch.Tensor:
    image = piecewise_image(20, 28, seed=seed)[0]
    return torch.from_numpy(image).permute(2, 0, 1).float()[None] / 255.0


@pytest.mark.parametrize(
    'schedule, silhouette',
    [
        (Schedule(max_iters=50, loss_plateau=dict(window=5, rel_tol=0.05)), None),
        (
            # These images settle at 9-10 labels: a k of 10-12 is reached, at different times.
            Schedule(max_iters=50, silhouette_stop=True),
            SilhouetteConfig(enabled=True, k_min=10, k_max=12, num_samples=200),
        ),
    ],
    ids=['plateau', 'silhouette_stop'],
)
def test_each_model_of_a_batch_stops_by_its_own_rule(schedule, silhouette):
    """In a batch each model stops when and why it would alone."""
    images, seeds = [image_tensor(s) for s in range(3)], [0, 1, 2]
    loss = DynaSegLoss(dict(type='FSFWeight'))
    settings = EngineSettings(schedule=schedule, silhouette=silhouette or SilhouetteConfig())
    batched = optimize_batch(images, factory, loss, SGD, settings, seeds)
    alone = [
        optimize_image(image, factory, loss, SGD, settings, seed=seed)
        for image, seed in zip(images, seeds)
    ]
    reasons = [record.stop_reason for _, record in batched]
    assert reasons == [record.stop_reason for _, record in alone]
    lever = 'loss_plateau' if schedule.loss_plateau else 'silhouette_k'
    assert reasons == [lever] * 3
    iterations = [r.iterations for _, r in batched]
    assert iterations == [r.iterations for _, r in alone]
    assert len(set(iterations)) > 1 and max(iterations) < 50  # each stopped on its own
    for _, record in batched:
        if silhouette is not None:
            assert record.label_counts[-1] <= record.silhouette_k < record.label_counts[-2]
