"""The fused L_sim / L_con Function against the plain autograd expressions."""

import pytest
import torch
from oracles import spatial_continuity_loss

from dynaseg.models.losses.fused import similarity_and_continuity


def autograd_terms(response: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-sample L_sim and L_con written the obvious way (autograd differentiates them)."""
    top, labels = response.max(dim=1)
    similarity = (torch.logsumexp(response, dim=1) - top).mean(dim=(1, 2))
    continuity = torch.stack([spatial_continuity_loss(r[None]) for r in response])
    return similarity, continuity, labels


@pytest.mark.parametrize(
    'shape', [(1, 5, 7, 9), (2, 4, 6, 5), (1, 3, 1, 8), (1, 3, 8, 1), (3, 100, 16, 20)]
)
def test_values_and_gradients_match_autograd(shape):
    torch.manual_seed(0)
    response = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    # Different weights per sample and per term: every path of the backward is exercised.
    w_sim = torch.rand(shape[0], dtype=torch.float64) + 0.5
    w_con = torch.rand(shape[0], dtype=torch.float64) * 10
    similarity, continuity, _, labels = similarity_and_continuity(response)
    ((w_sim * similarity).sum() + (w_con * continuity).sum()).backward()
    fused_grad = response.grad.clone()
    response.grad = None
    ref_similarity, ref_continuity, ref_labels = autograd_terms(response)
    ((w_sim * ref_similarity).sum() + (w_con * ref_continuity).sum()).backward()
    torch.testing.assert_close(similarity, ref_similarity.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(continuity, ref_continuity.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(fused_grad, response.grad, rtol=1e-12, atol=1e-14)
    assert torch.equal(labels, ref_labels)


def test_gradcheck():
    torch.manual_seed(1)
    response = torch.randn(2, 4, 5, 6, dtype=torch.float64, requires_grad=True)

    def scalar(r):
        similarity, continuity, _, _ = similarity_and_continuity(r)
        return similarity.sum() + 7.0 * continuity.sum()

    assert torch.autograd.gradcheck(scalar, (response,))


def test_one_pixel_has_zero_continuity_and_similarity_of_its_softmax():
    response = torch.tensor([[[[2.0]], [[0.0]]]], requires_grad=True)
    similarity, continuity, _, labels = similarity_and_continuity(response)
    expected = torch.log1p(torch.exp(torch.tensor(-2.0)))
    assert similarity.item() == pytest.approx(expected.item())
    assert continuity.item() == 0.0 and labels.item() == 0
    (similarity + continuity).sum().backward()
    p = torch.softmax(torch.tensor([2.0, 0.0]), 0)
    torch.testing.assert_close(response.grad.flatten(), p - torch.tensor([1.0, 0.0]))


def test_gradient_keeps_the_channels_last_layout():
    # The reason channels_last pays: BatchNorm's backward is slow on a mixed-layout gradient.
    response = torch.randn(1, 8, 6, 7).contiguous(memory_format=torch.channels_last)
    response.requires_grad_()
    similarity, continuity, _, _ = similarity_and_continuity(response)
    (similarity + continuity).sum().backward()
    assert response.grad.is_contiguous(memory_format=torch.channels_last)


def test_no_state_kept_without_gradient():
    response = torch.randn(1, 4, 5, 5)
    with torch.no_grad():
        similarity, continuity, _, labels = similarity_and_continuity(response)
    assert similarity.grad_fn is None and labels.shape == (1, 5, 5)


def test_gradcheck_with_a_scribble():
    torch.manual_seed(2)
    response = torch.randn(2, 4, 5, 6, dtype=torch.float64, requires_grad=True)
    scribble = torch.full((2, 5, 6), 255, dtype=torch.long)
    scribble[0, 1, 1:4] = 2
    scribble[1, 3, 5] = 0  # sample 1: one scribbled pixel

    def scalar(r):
        terms = similarity_and_continuity(r, scribble)
        return (terms.similarity * 1.5 + terms.continuity * 3.0 + terms.scribble * 0.5).sum()

    assert torch.autograd.gradcheck(scalar, (response,))


def test_without_a_scribble_the_scribble_term_is_zero_and_nothing_changes():
    response = torch.randn(2, 4, 5, 6)
    plain = similarity_and_continuity(response)
    unmarked = similarity_and_continuity(response, torch.full((2, 5, 6), 255))
    assert plain.scribble.tolist() == [0.0, 0.0] and unmarked.scribble.tolist() == [0.0, 0.0]
    torch.testing.assert_close(unmarked.similarity, plain.similarity)
