"""L_sim, L_con and the scribble term of one response in a few memory passes, hand-differentiated.

Autograd through ``logsumexp - max`` and four shifted slices costs about thirty full-size
passes per iteration (zero-filled slice gradients, ``sgn``, ``neg``, the scattered max
gradient...): on a 321x481 image with 100 channels that was over a quarter of an iteration
on this CPU. The gradients have closed forms, so this Function computes them directly:

- L_sim = mean over pixels of ``log sum_k exp(r_k - r_c)`` with c the argmax; its gradient is
  ``(softmax(r) - onehot(c)) / N``. The forward's ``exp(r - max)`` is kept for it.
- L_con = mean |r[y+1, x] - r[y, x]| + mean |r[y, x+1] - r[y, x]|; its gradient is the sign of
  each difference, added to one neighbour and subtracted from the other. The differences are
  kept from the forward.
- With a scribble mask (Kim et al.'s guidance, 255 = no scribble): L_sim is the mean over the
  *unscribbled* pixels only, and L_scr = mean over the scribbled pixels of the cross-entropy
  against the scribble, ``log sum_k exp(r_k - r_max) + r_max - r_s``, from the same
  ``exp(r - max)``. Both are a cross-entropy against a per-pixel target (argmax or scribble)
  with a per-pixel factor, so one backward serves both.

Same values and gradients as the autograd expressions in :mod:`.dynaseg_loss` (tested).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from dynaseg.utils.scribble_io import UNLABELLED


class FusedTerms(NamedTuple):
    """Per-sample terms of a (B, C, H, W) response."""

    similarity: Tensor  # (B,) L_sim (over unscribbled pixels when a scribble is given)
    continuity: Tensor  # (B,) L_con
    scribble: Tensor  # (B,) L_scr, zeros without a scribble
    labels: Tensor  # (B, H, W) int64 argmax labels


def _neighbour_differences(response: Tensor) -> tuple[Tensor | None, Tensor | None]:
    """Vertical and horizontal differences; None for a direction of size 1 (no pairs)."""
    vertical = response[..., 1:, :] - response[..., :-1, :] if response.shape[-2] > 1 else None
    horizontal = response[..., :, 1:] - response[..., :, :-1] if response.shape[-1] > 1 else None
    return vertical, horizontal


class SimilarityContinuity(torch.autograd.Function):
    """(B, C, H, W) response, optional (B, H, W) scribble -> L_sim, L_con, L_scr (B,), labels."""

    @staticmethod
    def forward(
        ctx: Any, response: Tensor, scribble: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        top, labels = response.max(dim=1)
        exp = (response - top.unsqueeze(1)).exp_()  # in (0, 1]: no overflow
        denominator = exp.sum(dim=1)  # >= 1
        log_denominator = denominator.log()
        scribbled: Tensor | None = None
        if scribble is None:
            similarity = log_denominator.mean(dim=(1, 2))
            scribble_term = response.new_zeros(response.shape[0])
            target = labels
        else:
            scribbled = scribble != UNLABELLED
            unscribbled = (~scribbled).to(response.dtype)
            similarity = (log_denominator * unscribbled).sum(dim=(1, 2)) / unscribbled.sum(
                dim=(1, 2)
            ).clamp(min=1)
            target = torch.where(scribbled, scribble, labels)
            picked = response.gather(1, target.unsqueeze(1)).squeeze(1)
            cross_entropy = torch.where(scribbled, log_denominator + top - picked, 0.0)
            scribble_term = cross_entropy.sum(dim=(1, 2)) / scribbled.sum(dim=(1, 2)).clamp(min=1)
        continuity = response.new_zeros(response.shape[0])
        differences = _neighbour_differences(response)
        for difference in differences:
            if difference is not None:
                # vector_norm(., 1) sums |d| without materialising |d|.
                norm = torch.linalg.vector_norm(difference, 1, dim=(1, 2, 3))
                continuity = continuity + norm / difference[0].numel()
        ctx.mark_non_differentiable(labels)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(exp, denominator, target, scribbled, *differences)
        return similarity, continuity, scribble_term, labels

    @staticmethod
    @once_differentiable
    def backward(
        ctx: Any,
        grad_similarity: Tensor,
        grad_continuity: Tensor,
        grad_scribble: Tensor,
        _grad_labels: Tensor,
    ) -> tuple[Tensor, None]:
        exp, denominator, target, scribbled, vertical, horizontal = ctx.saved_tensors
        per_sample = (-1, 1, 1, 1)
        if scribbled is None:
            # Every pixel: d L_sim / d r = (softmax - onehot(argmax)) * g / N.
            factor = (grad_similarity / target[0].numel()).view(per_sample)
        else:
            # Per pixel: g_sim / N_unscribbled off the strokes, g_scr / N_scribbled on them.
            counts = scribbled.sum(dim=(1, 2)).clamp(min=1)
            rest = (~scribbled).sum(dim=(1, 2)).clamp(min=1)
            on = (grad_scribble / counts).view(per_sample)
            off = (grad_similarity / rest).view(per_sample)
            factor = torch.where(scribbled.unsqueeze(1), on, off)
        # softmax * factor, then -factor at each pixel's target channel.
        grad = exp * (factor / denominator.unsqueeze(1))
        index = target.unsqueeze(1)
        grad.scatter_add_(1, index, (-factor).expand(index.shape).contiguous())
        for difference, later, earlier in (
            (vertical, (..., slice(1, None), slice(None)), (..., slice(None, -1), slice(None))),
            (horizontal, (..., slice(None), slice(1, None)), (..., slice(None), slice(None, -1))),
        ):
            if difference is not None:
                g_con = (grad_continuity / difference[0].numel()).view(per_sample)
                step = difference.sign().mul_(g_con)
                grad[later] += step
                grad[earlier] -= step
        return grad, None


def similarity_and_continuity(response: Tensor, scribble: Tensor | None = None) -> FusedTerms:
    """The per-sample terms of a (B, C, H, W) response; see the module docstring.

    Each sample is its own image (the engine stacks independent models along B).

    Args:
        response: (B, C, H, W) logits.
        scribble: optional (B, H, W) int64, 255 = no scribble, else a channel index < C.
    """
    return FusedTerms(*SimilarityContinuity.apply(response, scribble))
