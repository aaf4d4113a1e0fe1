"""L_sim and L_con of one response in a few memory passes, with a hand-written backward.

Autograd through ``logsumexp - max`` and four shifted slices costs about thirty full-size
passes per iteration (zero-filled slice gradients, ``sgn``, ``neg``, the scattered max
gradient...): on a 321x481 image with 100 channels that was over a quarter of an iteration
on this CPU. The gradients have closed forms, so this Function computes them directly:

- L_sim = mean over pixels of ``log sum_k exp(r_k - r_c)`` with c the argmax; its gradient is
  ``(softmax(r) - onehot(c)) / N``. The forward's ``exp(r - max)`` is kept for it.
- L_con = mean |r[y+1, x] - r[y, x]| + mean |r[y, x+1] - r[y, x]|; its gradient is the sign of
  each difference, added to one neighbour and subtracted from the other. The differences are
  kept from the forward.

Same values and gradients as the autograd expressions in :mod:`.dynaseg_loss` (tested).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable


def _neighbour_differences(response: Tensor) -> tuple[Tensor | None, Tensor | None]:
    """Vertical and horizontal differences; None for a direction of size 1 (no pairs)."""
    vertical = response[..., 1:, :] - response[..., :-1, :] if response.shape[-2] > 1 else None
    horizontal = response[..., :, 1:] - response[..., :, :-1] if response.shape[-1] > 1 else None
    return vertical, horizontal


class SimilarityContinuity(torch.autograd.Function):
    """(B, C, H, W) response -> per-sample L_sim (B,), L_con (B,), argmax labels (B, H, W)."""

    @staticmethod
    def forward(ctx: Any, response: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        top, labels = response.max(dim=1)
        exp = (response - top.unsqueeze(1)).exp_()  # in (0, 1]: no overflow
        denominator = exp.sum(dim=1)  # >= 1
        similarity = denominator.log().mean(dim=(1, 2))
        continuity = response.new_zeros(response.shape[0])
        differences = _neighbour_differences(response)
        for difference in differences:
            if difference is not None:
                # vector_norm(., 1) sums |d| without materialising |d|.
                norm = torch.linalg.vector_norm(difference, 1, dim=(1, 2, 3))
                continuity = continuity + norm / difference[0].numel()
        ctx.mark_non_differentiable(labels)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(exp, denominator, labels, *differences)
        return similarity, continuity, labels

    @staticmethod
    @once_differentiable
    def backward(
        ctx: Any, grad_similarity: Tensor, grad_continuity: Tensor, _grad_labels: Tensor
    ) -> Tensor:
        exp, denominator, labels, vertical, horizontal = ctx.saved_tensors
        per_sample = (-1, 1, 1, 1)
        # softmax * g / N, then -g / N at each pixel's argmax channel (N = pixels per sample).
        g_sim = (grad_similarity / labels[0].numel()).view(per_sample)
        grad = exp * (g_sim / denominator.unsqueeze(1))
        index = labels.unsqueeze(1)
        grad.scatter_add_(1, index, (-g_sim).expand(index.shape).contiguous())
        for difference, later, earlier in (
            (vertical, (..., slice(1, None), slice(None)), (..., slice(None, -1), slice(None))),
            (horizontal, (..., slice(None), slice(1, None)), (..., slice(None), slice(None, -1))),
        ):
            if difference is not None:
                g_con = (grad_continuity / difference[0].numel()).view(per_sample)
                step = difference.sign().mul_(g_con)
                grad[later] += step
                grad[earlier] -= step
        return grad


def similarity_and_continuity(response: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(L_sim, L_con, labels)`` of a (B, C, H, W) response; see the module docstring.

    L_sim and L_con are per sample, shape (B,): each sample is its own image (the batched
    engine stacks independent models along B).
    """
    similarity, continuity, labels = SimilarityContinuity.apply(response)
    return similarity, continuity, labels
