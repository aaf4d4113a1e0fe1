"""The DynaSeg loss and its dynamic weight, checked against hand computations."""

import math

import pytest
import torch

from dynaseg.models.losses import (
    DynaSegLoss,
    FixedWeight,
    FSFWeight,
    SCFWeight,
    count_labels,
    feature_similarity_loss,
    spatial_continuity_loss,
)


@pytest.mark.parametrize(
    'q, scf, fsf', [(1, 50.0, 1 / 15), (5, 10.0, 1 / 3), (25, 2.0, 25 / 15), (100, 0.5, 100 / 15)]
)
def test_weight_values(q, scf, fsf):
    assert SCFWeight()(q) == pytest.approx(scf)  # mu = 50
    assert FSFWeight()(q) == pytest.approx(fsf)  # mu = 15
    assert FixedWeight()(q) == 1.0  # Kim's demo default
    assert FixedWeight(mu=5)(q) == 5.0


def test_weight_rejects_non_positive_mu():
    with pytest.raises(ValueError, match='mu must be positive'):
        SCFWeight(mu=0)


def test_continuity_by_hand():
    # One channel, 2x3 map: vertical diffs |4-1|,|5-2|,|6-3| -> mean 3;
    # horizontal diffs 1,1,1,1 -> mean 1. L_con = 4.
    r = torch.tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]])
    assert spatial_continuity_loss(r).item() == pytest.approx(4.0)


def test_continuity_has_gradient():
    r = torch.randn(1, 5, 6, 7, requires_grad=True)
    spatial_continuity_loss(r).backward()
    assert r.grad is not None and r.grad.abs().sum() > 0


def test_continuity_thin_maps():
    assert spatial_continuity_loss(torch.ones(1, 3, 1, 1)).item() == 0.0
    assert spatial_continuity_loss(torch.tensor([[[[0.0, 2.0, 2.0]]]])).item() == pytest.approx(1.0)


def test_similarity_matches_cross_entropy_by_hand():
    # Two pixels, two channels; targets = argmax.
    r = torch.tensor([[[[2.0, 0.0]], [[1.0, 3.0]]]])  # (1, 2, 1, 2)
    labels = r.argmax(1)
    expected = (math.log(math.exp(2) + math.exp(1)) - 2 + math.log(1 + math.exp(3)) - 3) / 2
    assert feature_similarity_loss(r, labels).item() == pytest.approx(expected)


def test_fused_loss_equals_reference_and_gradient():
    torch.manual_seed(0)
    r = torch.randn(1, 8, 9, 10, requires_grad=True)
    out = DynaSegLoss(dict(type='SCFWeight', mu=50.0))(r)
    q = len(torch.unique(r.detach().argmax(1)))
    assert out.num_labels.item() == q
    reference = feature_similarity_loss(
        r, r.detach().argmax(1)
    ) + 50.0 / q * spatial_continuity_loss(r)
    assert out.loss.item() == pytest.approx(reference.item(), rel=1e-6)
    (grad_fused,) = torch.autograd.grad(out.loss, r)
    (grad_ref,) = torch.autograd.grad(reference, r)
    torch.testing.assert_close(grad_fused, grad_ref)


def test_silhouette_floor_applies_to_weight_only():
    r = torch.zeros(1, 4, 3, 3)
    r[:, 0] = 1.0  # one label everywhere
    loss = DynaSegLoss(dict(type='SCFWeight', mu=50.0))
    assert loss(r).num_labels.item() == 1
    assert loss(r).weight.item() == pytest.approx(50.0)
    floored = loss(r, q_floor=10)
    assert floored.num_labels.item() == 1  # q itself is reported unfloored
    assert floored.weight.item() == pytest.approx(5.0)  # w uses max(q, k_sil) = 10


def test_count_labels():
    labels = torch.tensor([[0, 0, 3], [3, 7, 7]])
    assert count_labels(labels, 10).item() == 3
