"""Continuity variants and superpixel-refined targets: the fused Function against plain
float64 autograd written out here, hand-computed edge weights and majority votes."""

import math

import pytest
import torch
import torch.nn.functional as F
from oracles import spatial_continuity_loss

from dynaseg.models.losses import (
    Continuity,
    DynaSegLoss,
    LossContext,
    SuperpixelTarget,
    majority_labels,
)
from dynaseg.models.losses.fused import similarity_and_continuity


def pairs(x, diagonal):
    """(later, earlier) maps of each direction, spelled out: down, right, down-right, down-left."""
    result = [(x[..., 1:, :], x[..., :-1, :]), (x[..., :, 1:], x[..., :, :-1])]
    if diagonal:
        result += [(x[..., 1:, 1:], x[..., :-1, :-1]), (x[..., 1:, :-1], x[..., :-1, 1:])]
    return result


def reference_continuity(response, diagonal=False, delta=None, weights=None):
    """(B,) per-sample L_con by autograd: sum over directions of mean omega * rho(difference)."""
    total = response.new_zeros(response.shape[0])
    for d, (later, earlier) in enumerate(pairs(response, diagonal)):
        difference = later - earlier
        if difference.numel() == 0:
            continue
        if delta is None:
            penalty = difference.abs()
        else:
            penalty = F.smooth_l1_loss(difference, 0 * difference, reduction='none', beta=delta)
        if weights is not None:
            penalty = penalty * weights[d]
        total = total + penalty.mean(dim=(1, 2, 3))
    return total


def reference_similarity(response, target):
    """(B,) mean cross-entropy of each sample against ``target`` (B, H, W)."""
    return F.cross_entropy(response, target, reduction='none').mean(dim=(1, 2))


def random_weights(shape, diagonal, seed=0):
    """Positive per-pair weights of each direction, (B, 1, h', w')."""
    generator = torch.Generator().manual_seed(seed)
    probe = torch.zeros(shape[0], 1, *shape[2:], dtype=torch.float64)
    return tuple(
        torch.rand(later.shape, generator=generator, dtype=torch.float64)
        for later, _ in pairs(probe, diagonal)
    )


VARIANTS = [
    dict(diagonal=True),
    dict(penalty='huber', huber_delta=0.7),
    dict(penalty='huber', huber_delta=0.7, diagonal=True),
    dict(edge_sigma=0.5),
    dict(edge_sigma=0.5, diagonal=True, penalty='huber', huber_delta=2.0),
]


@pytest.mark.parametrize('variant', VARIANTS)
@pytest.mark.parametrize('shape', [(2, 5, 6, 7), (1, 3, 1, 8), (1, 3, 8, 1), (3, 20, 9, 10)])
@pytest.mark.parametrize('channels_last', [False, True])
def test_continuity_values_and_gradients_match_autograd(variant, shape, channels_last):
    continuity = Continuity(**variant)
    torch.manual_seed(0)
    response = torch.randn(shape, dtype=torch.float64)
    if channels_last:
        response = response.contiguous(memory_format=torch.channels_last)
    response.requires_grad_()
    weights = random_weights(shape, continuity.diagonal) if variant.get('edge_sigma') else None
    # Different factors per sample and per term: every path of the backward is exercised.
    w_sim = torch.rand(shape[0], dtype=torch.float64) + 0.5
    w_con = torch.rand(shape[0], dtype=torch.float64) * 10
    terms = similarity_and_continuity(response, continuity=continuity, edge_weights=weights)
    ((w_sim * terms.similarity).sum() + (w_con * terms.continuity).sum()).backward()
    fused_grad = response.grad.clone()
    response.grad = None

    labels = response.detach().argmax(1)
    similarity = reference_similarity(response, labels)
    continuity_ref = reference_continuity(response, continuity.diagonal, continuity.delta, weights)
    ((w_sim * similarity).sum() + (w_con * continuity_ref).sum()).backward()
    torch.testing.assert_close(terms.similarity, similarity.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(terms.continuity, continuity_ref.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(fused_grad, response.grad, rtol=1e-12, atol=1e-14)
    assert torch.equal(terms.labels, labels)
    if channels_last:
        assert fused_grad.is_contiguous(memory_format=torch.channels_last)
    # The library's own autograd expression (one sample at a time) is the same reference.
    for b in range(shape[0]):
        sample_weights = None if weights is None else tuple(w[b : b + 1] for w in weights)
        library = spatial_continuity_loss(response[b : b + 1], continuity, sample_weights)
        assert library.item() == pytest.approx(continuity_ref[b].item(), rel=1e-12)


def test_diagonal_continuity_by_hand():
    # One channel, 2x2 map [[1, 2], [4, 8]]: vertical |4-1|, |8-2| -> 4.5; horizontal
    # |2-1|, |8-4| -> 2.5; down-right |8-1| = 7; down-left (1,0) - (0,1): |4-2| = 2.
    r = torch.tensor([[[[1.0, 2.0], [4.0, 8.0]]]])
    _, continuity, _, _ = similarity_and_continuity(r, continuity=Continuity(diagonal=True))
    assert continuity.item() == pytest.approx(4.5 + 2.5 + 7.0 + 2.0)
    assert spatial_continuity_loss(r).item() == pytest.approx(4.5 + 2.5)


def test_huber_by_hand():
    # Differences 0.5 and 3 with delta 1: 0.5^2 / 2 = 0.125 and 3 - 0.5 = 2.5; gradients
    # clamp(d / delta, -1, 1) = 0.5 and 1 on the later pixel, minus that on the earlier one.
    r = torch.tensor([[[[0.0, 0.5, 3.5]]]], requires_grad=True)
    terms = similarity_and_continuity(r, continuity=Continuity(penalty='huber', huber_delta=1.0))
    assert terms.continuity.item() == pytest.approx((0.125 + 2.5) / 2)
    (grad,) = torch.autograd.grad(terms.continuity.sum(), r)
    torch.testing.assert_close(grad.flatten(), torch.tensor([-0.5, 0.5 - 1.0, 1.0]) / 2)


def test_edge_weights_by_hand_on_a_3x3_image():
    # Black 3x3 image whose centre has red 0.5: every pair touching the centre differs by
    # ||dI||^2 = 0.25, so with sigma 0.5 its weight is exp(-0.25 / (2 * 0.25)) = exp(-0.5);
    # every other pair has weight 1.
    image = torch.zeros(1, 3, 3, 3, dtype=torch.float64)
    image[0, 0, 1, 1] = 0.5
    vertical, horizontal, down_right, down_left = Continuity(
        diagonal=True, edge_sigma=0.5
    ).edge_weights(image)
    e = math.exp(-0.5)
    # Entry [y, x] of each map is the pair (later, earlier) at these pixels:
    #   vertical (y+1, x)-(y, x); horizontal (y, x+1)-(y, x);
    #   down-right (y+1, x+1)-(y, x); down-left (y+1, x)-(y, x+1).
    expected = {
        'vertical': [[1, e, 1], [1, e, 1]],
        'horizontal': [[1, 1], [e, e], [1, 1]],
        'down_right': [[e, 1], [1, e]],
        'down_left': [[1, e], [e, 1]],
    }
    for name, weights in zip(expected, (vertical, horizontal, down_right, down_left)):
        assert weights.shape == (1, 1, *torch.tensor(expected[name]).shape), name
        torch.testing.assert_close(
            weights[0, 0], torch.tensor(expected[name], dtype=torch.float64), msg=name
        )
    # Without diagonals there are two maps; without a sigma, none.
    assert len(Continuity(edge_sigma=0.5).edge_weights(image)) == 2
    assert Continuity().edge_weights(image) is None


def test_edge_weights_are_per_sample():
    images = torch.rand(3, 3, 5, 6, dtype=torch.float64)
    continuity = Continuity(edge_sigma=0.2, diagonal=True)
    together = continuity.edge_weights(images)
    for b in range(3):
        alone = continuity.edge_weights(images[b : b + 1])
        for w_all, w_one in zip(together, alone):
            torch.testing.assert_close(w_all[b : b + 1], w_one)


def test_majority_labels_by_hand():
    labels = torch.tensor([[[0, 0, 2, 2], [1, 0, 2, 3]], [[4, 4, 1, 1], [4, 1, 1, 0]]])
    segments = torch.tensor([[[0, 0, 1, 1], [0, 0, 1, 1]], [[0, 1, 1, 1], [0, 0, 1, 1]]])
    # Sample 0: segment 0 holds {0, 0, 1, 0} -> 0; segment 1 holds {2, 2, 2, 3} -> 2.
    # Sample 1 (same ids, its own vote): segment 0 {4, 4, 1} -> 4; segment 1
    # {4, 1, 1, 1, 0} -> 1.
    expected = torch.tensor([[[0, 0, 2, 2], [0, 0, 2, 2]], [[4, 1, 1, 1], [4, 4, 1, 1]]])
    assert torch.equal(majority_labels(labels, segments, 2, 5), expected)
    # A tie goes to the lowest label.
    tie = majority_labels(torch.tensor([[[3, 1]]]), torch.tensor([[[0, 0]]]), 1, 4)
    assert tie.tolist() == [[[1, 1]]]


def test_superpixels_follow_colour_edges_per_sample():
    images = torch.zeros(2, 3, 12, 16)
    images[0, :, :, 8:] = 1.0  # sample 0: left / right halves
    images[1, 0, 6:] = 0.8  # sample 1: top / bottom halves
    segments, count = SuperpixelTarget(n_segments=6, compactness=1.0).regions(images)
    assert segments.shape == (2, 12, 16) and segments.dtype == torch.int64
    assert segments.min() == 0 and segments.max() == count - 1
    for b, colour in enumerate((images[0, 0] > 0.5, images[1, 0] > 0.5)):
        for segment in segments[b].unique():
            assert colour[segments[b] == segment].unique().numel() == 1  # inside one region


def test_superpixel_target_values_and_gradients_match_autograd():
    torch.manual_seed(5)
    response = torch.randn(2, 6, 8, 9, dtype=torch.float64, requires_grad=True)
    segments = torch.randint(0, 7, (2, 8, 9))
    scribble = torch.full((2, 8, 9), 255, dtype=torch.long)
    scribble[1, 2, 3:6] = 4
    target = majority_labels(response.detach().argmax(1), segments, 7, 6)
    assert not torch.equal(target, response.detach().argmax(1))  # the vote changes labels
    for mask in (None, scribble):
        terms = similarity_and_continuity(response, mask, segments=segments, num_segments=7)
        assert torch.equal(terms.labels, target)
        (terms.similarity.sum() * 1.5 + terms.continuity.sum() + terms.scribble.sum()).backward()
        fused_grad, response.grad = response.grad.clone(), None
        if mask is None:
            similarity = reference_similarity(response, target)
            expected = similarity.sum() * 1.5 + reference_continuity(response).sum()
        else:
            marked = mask != 255
            ce = F.cross_entropy(response, torch.where(marked, mask, target), reduction='none')
            similarity = (ce * ~marked).sum(dim=(1, 2)) / (~marked).sum(dim=(1, 2))
            scribbled = (ce * marked).sum(dim=(1, 2)) / marked.sum(dim=(1, 2)).clamp(min=1)
            expected = (similarity * 1.5 + reference_continuity(response) + scribbled).sum()
            torch.testing.assert_close(terms.scribble, scribbled.detach(), rtol=1e-12, atol=0)
        expected.backward()
        torch.testing.assert_close(terms.similarity, similarity.detach(), rtol=1e-12, atol=0)
        torch.testing.assert_close(fused_grad, response.grad, rtol=1e-12, atol=1e-14)
        response.grad = None


def test_gradcheck_with_every_variant():
    torch.manual_seed(6)
    response = torch.randn(2, 4, 5, 6, dtype=torch.float64, requires_grad=True)
    images = torch.rand(2, 3, 5, 6, dtype=torch.float64)
    loss = DynaSegLoss(
        continuity=dict(diagonal=True, penalty='huber', huber_delta=0.5, edge_sigma=0.3),
        target=dict(type='superpixel', n_segments=4, compactness=1.0),
    )
    context = loss.prepare(images)

    def scalar(r):
        return loss(r, context=context).loss.sum()

    assert torch.autograd.gradcheck(scalar, (response,))


def test_loss_counts_the_refined_labels_and_prepares_per_sample():
    images = torch.zeros(2, 3, 12, 16)
    images[0, :, :, 8:] = 1.0
    images[1, 0, 6:] = 0.8
    loss = DynaSegLoss(target=dict(type='superpixel', n_segments=6, compactness=1.0))
    context = loss.prepare(images)
    assert context.edge_weights is None
    assert torch.equal(context.segments, loss.target.regions(images)[0])
    torch.manual_seed(7)
    response = torch.randn(2, 5, 12, 16)  # noisy argmax: every label in every superpixel
    out = loss(response, context=context)
    assert out.num_labels.tolist() == [len(out.labels[b].unique()) for b in range(2)]
    for b in range(2):
        for segment in context.segments[b].unique():
            assert out.labels[b][context.segments[b] == segment].unique().numel() == 1
    for b in range(2):  # at most one label per superpixel
        assert out.num_labels[b] <= context.segments[b].unique().numel()
    # The context of a subset of the samples, in that order.
    picked = context.select(torch.tensor([1]))
    assert torch.equal(picked.segments, context.segments[1:])
    torch.testing.assert_close(loss(response[1:], context=picked).loss, out.loss[1:])


def test_batched_loss_matches_one_sample_at_a_time_with_variants():
    torch.manual_seed(8)
    images = torch.rand(3, 3, 10, 12)
    response = torch.randn(3, 6, 10, 12, dtype=torch.float64, requires_grad=True)
    loss = DynaSegLoss(
        dict(type='FSFWeight'),
        continuity=dict(diagonal=True, edge_sigma=0.25),
        target=dict(type='superpixel', n_segments=12, compactness=5.0),
    )
    out = loss(response, context=loss.prepare(images))
    (grad,) = torch.autograd.grad(out.loss.sum(), response)
    for b in range(3):
        alone = loss(response[b : b + 1], context=loss.prepare(images[b : b + 1]))
        torch.testing.assert_close(alone.loss, out.loss[b : b + 1], rtol=1e-12, atol=0)
        assert torch.equal(alone.labels, out.labels[b : b + 1])
        (expected,) = torch.autograd.grad(alone.loss.sum(), response)
        torch.testing.assert_close(grad[b], expected[b], rtol=1e-12, atol=1e-14)


def test_defaults_need_no_context_and_variants_refuse_to_run_without_one():
    assert DynaSegLoss().prepare(torch.rand(1, 3, 4, 4)) is None
    assert (
        DynaSegLoss(continuity=dict(diagonal=True, penalty='huber')).prepare(torch.rand(1, 3, 4, 4))
        is None
    )  # these depend on the response only
    for kwargs in (dict(continuity=dict(edge_sigma=0.1)), dict(target=dict(type='superpixel'))):
        loss = DynaSegLoss(**kwargs)
        assert isinstance(loss.prepare(torch.rand(1, 3, 4, 4)), LossContext)
        with pytest.raises(ValueError, match='context=loss.prepare'):
            loss(torch.randn(1, 3, 4, 4))


def test_explicit_defaults_are_the_plain_loss_bit_for_bit():
    torch.manual_seed(9)
    response = torch.randn(2, 8, 9, 10, requires_grad=True)
    plain = DynaSegLoss(dict(type='FSFWeight'))
    explicit = DynaSegLoss(
        dict(type='FSFWeight'),
        continuity=dict(diagonal=False, penalty='l1', huber_delta=1.0, edge_sigma=None),
        target=dict(type='argmax'),
    )
    a, b = plain(response), explicit(response)
    (grad_a,) = torch.autograd.grad(a.loss.sum(), response)
    (grad_b,) = torch.autograd.grad(b.loss.sum(), response)
    assert torch.equal(a.loss, b.loss) and torch.equal(grad_a, grad_b)
    assert torch.equal(a.labels, b.labels)


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(continuity=dict(penalty='l2')), 'penalty'),
        (dict(continuity=dict(penalty='huber', huber_delta=0.0)), 'huber_delta'),
        (dict(continuity=dict(edge_sigma=-1.0)), 'edge_sigma'),
        (dict(target=dict(type='crf')), 'loss target'),
        (dict(target=dict(type='argmax', n_segments=5)), 'loss target'),
        (dict(target=dict(type='superpixel', n_segments=0)), 'superpixel'),
    ],
)
def test_invalid_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DynaSegLoss(**kwargs)


def test_mismatched_edge_weights_are_refused():
    weights = Continuity(edge_sigma=1.0).edge_weights(torch.rand(1, 3, 4, 4))
    with pytest.raises(ValueError, match='2 edge weight maps for 4 directions'):
        similarity_and_continuity(
            torch.randn(1, 3, 4, 4), continuity=Continuity(diagonal=True), edge_weights=weights
        )
