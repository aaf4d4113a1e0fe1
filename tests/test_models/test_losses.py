"""The DynaSeg loss and its dynamic weight, checked against hand computations."""

import math

import pytest
import torch
from oracles import feature_similarity_loss, spatial_continuity_loss

from dynaseg.models.losses import (
    DynamicWeight,
    DynaSegLoss,
    FixedWeight,
    FSFWeight,
    SCFWeight,
    count_labels,
)
from dynaseg.models.losses.dynamic_weight import registered_weightings
from dynaseg.registry import MODELS


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


def test_weightings_are_read_from_the_registry():
    from dynaseg.apis.overrides import KEYWORDS, WEIGHTINGS

    shipped = {'scf': SCFWeight, 'fsf': FSFWeight, 'fixed': FixedWeight}
    assert shipped.items() <= registered_weightings().items()
    assert WEIGHTINGS['fsf'] == {'type': 'FSFWeight', 'mu': 15.0}
    assert 'fixed (mu, Kim et al., mu 1)' in KEYWORDS['weighting'].help


@pytest.fixture
def half_weight():
    """A weighting registered for one test (its class is all a new weighting needs)."""

    class HalfWeight(DynamicWeight):
        name, label, formula, default_mu = 'half', 'Half,', 'mu/2', 4.0

        def weight(self, q):
            return self.mu / 2

    MODELS.register_module(module=HalfWeight)
    yield HalfWeight
    MODELS.module_dict.pop('HalfWeight')


def test_a_new_weighting_is_its_class(half_weight):
    from dynaseg.reports.labels import method_label

    assert registered_weightings()['half'] is half_weight
    loss = DynaSegLoss(dict(type='HalfWeight'))  # its default mu, from the class
    assert loss.weight.mu == 4.0 and loss.weight(7) == 2.0
    model = dict(type='DynaSeg', loss=dict(weight=dict(type='HalfWeight')))
    assert method_label(model) == 'Half, mu=4'


def test_two_weightings_of_one_name_are_refused(half_weight):
    class Other(half_weight):
        pass

    MODELS.register_module(module=Other)
    try:
        with pytest.raises(ValueError, match="two weightings are named 'half'"):
            registered_weightings()
    finally:
        MODELS.module_dict.pop('Other')


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
    assert out.num_labels.tolist() == [q]
    reference = feature_similarity_loss(
        r, r.detach().argmax(1)
    ) + 50.0 / q * spatial_continuity_loss(r)
    assert out.loss.item() == pytest.approx(reference.item(), rel=1e-6)
    (grad_fused,) = torch.autograd.grad(out.loss.sum(), r)
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


def test_count_labels_per_sample():
    labels = torch.tensor([[[0, 0, 3], [3, 7, 7]], [[1, 1, 1], [1, 1, 1]], [[9, 0, 9], [0, 9, 0]]])
    assert count_labels(labels, 10).tolist() == [3, 1, 2]


def old_formula(response, q_floor, weight):
    """The one-image loss as it was written before per-sample outputs: L_sim + w(q) * L_con."""
    labels = response.detach().argmax(1)
    q = len(torch.unique(labels))
    similarity = feature_similarity_loss(response, labels)
    return similarity + weight(max(q, q_floor)) * spatial_continuity_loss(response), q


@pytest.mark.parametrize('weight', [SCFWeight(), FSFWeight(), FixedWeight(mu=3.0)])
def test_per_sample_outputs_match_one_sample_at_a_time(weight):
    """Each sample of a batch is its own image: its own q, w(q), loss and gradient."""
    torch.manual_seed(3)
    response = torch.randn(3, 6, 7, 8, dtype=torch.float64)
    response[1, 0] += 10.0  # sample 1 collapses to one label: a different q and w(q)
    response.requires_grad_()
    floors = torch.tensor([1, 5, 2])
    out = DynaSegLoss(weight)(response, q_floor=floors)
    assert out.loss.shape == out.num_labels.shape == out.weight.shape == (3,)
    assert out.labels.shape == (3, 7, 8) and out.scribble.tolist() == [0.0] * 3
    (grad,) = torch.autograd.grad(out.loss.sum(), response)
    for b in range(3):
        sample = response[b : b + 1]
        expected, q = old_formula(sample, int(floors[b]), weight)
        assert out.num_labels[b].item() == q
        assert out.weight[b].item() == pytest.approx(weight(max(q, int(floors[b]))))
        assert out.loss[b].item() == pytest.approx(expected.item(), rel=1e-12)
        (expected_grad,) = torch.autograd.grad(expected, response)
        torch.testing.assert_close(grad[b], expected_grad[b])
    assert out.num_labels[1].item() == 1


def test_continuity_weight_is_the_one_place_for_w():
    """The loss's w(q) comes from continuity_weight: replacing it changes the loss."""

    class NoContinuity(DynaSegLoss):
        def continuity_weight(self, num_labels, q_floor, dtype):
            return torch.zeros(num_labels.shape, dtype=dtype)

    response = torch.randn(2, 5, 6, 6)
    plain, silent = DynaSegLoss()(response), NoContinuity()(response)
    torch.testing.assert_close(silent.loss, silent.similarity)
    torch.testing.assert_close(plain.loss, plain.similarity + plain.weight * plain.continuity)
    assert (plain.weight == 50.0 / plain.num_labels.float()).all()
    # A constant weight still comes back per sample.
    assert DynaSegLoss(FixedWeight(2.0))(response).weight.tolist() == [2.0, 2.0]


def test_scribble_term_by_hand():
    """L = L_sim(unscribbled) + s * CE(scribbled, scribble) + w(q) * L_con, values and gradient."""
    torch.manual_seed(4)
    response = torch.randn(2, 5, 6, 7, dtype=torch.float64, requires_grad=True)
    scribble = torch.full((2, 6, 7), 255, dtype=torch.long)
    scribble[0, 1, 1:5] = 3
    scribble[0, 4, 2] = 0
    scribble[1, 2:4, 6] = 4
    out = DynaSegLoss()(response, scribble=scribble, scribble_weight=0.7)
    (grad,) = torch.autograd.grad(out.loss.sum(), response)
    for b in range(2):
        flat = response[b].flatten(1).T  # (pixels, C)
        marked = scribble[b].flatten() != 255
        argmax = flat.detach().argmax(1)
        similarity = torch.nn.functional.cross_entropy(flat[~marked], argmax[~marked])
        cross_entropy = torch.nn.functional.cross_entropy(
            flat[marked], scribble[b].flatten()[marked]
        )
        q = len(torch.unique(argmax))
        expected = (
            similarity
            + 0.7 * cross_entropy
            + 50.0 / q * spatial_continuity_loss(response[b : b + 1])
        )
        assert out.similarity[b].item() == pytest.approx(similarity.item(), rel=1e-12)
        assert out.scribble[b].item() == pytest.approx(cross_entropy.item(), rel=1e-12)
        assert out.loss[b].item() == pytest.approx(expected.item(), rel=1e-12)
        (expected_grad,) = torch.autograd.grad(expected, response)
        torch.testing.assert_close(grad[b], expected_grad[b])
