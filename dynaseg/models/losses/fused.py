"""L_sim, L_con and the scribble term of one response in a few memory passes, hand-differentiated.

Autograd through ``logsumexp - max`` and four shifted slices costs about thirty full-size
passes per iteration (zero-filled slice gradients, ``sgn``, ``neg``, the scattered max
gradient...): on a 321x481 image with 100 channels that was over a quarter of an iteration
on this CPU. The gradients have closed forms, so this Function computes them directly:

- L_sim = mean over pixels of the cross-entropy ``log sum_k exp(r_k - r_t)`` against a target t:
  the argmax c (then it is ``log sum_k exp(r_k - r_max)``), or the superpixel majority of c
  (``superpixel.py``). Its gradient is ``(softmax(r) - onehot(t)) / N``. The forward's
  ``exp(r - max)`` is kept for it.
- L_con = sum over directions of mean omega * rho(r[p + d] - r[p]) (``continuity.py``: by
  default mean |vertical| + mean |horizontal|); its gradient is ``omega * rho'`` of each
  difference (the sign for L1, ``clamp(d / delta, -1, 1)`` for smooth L1), added to one
  neighbour and subtracted from the other. The differences are kept from the forward.
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

from .continuity import Continuity, Direction, penalty_slope, penalty_sum
from .superpixel import majority_labels

#: The method's L_con (l1, vertical + horizontal, unweighted).
PLAIN_CONTINUITY = Continuity()


class FusedTerms(NamedTuple):
    """Per-sample terms of a (B, C, H, W) response."""

    similarity: Tensor  # (B,) L_sim (over unscribbled pixels when a scribble is given)
    continuity: Tensor  # (B,) L_con
    scribble: Tensor  # (B,) L_scr, zeros without a scribble
    labels: Tensor  # (B, H, W) int64 targets of L_sim: argmax labels, or their superpixel majority


class SimilarityContinuity(torch.autograd.Function):
    """(B, C, H, W) response, optional (B, H, W) scribble -> L_sim, L_con, L_scr (B,), labels.

    The other inputs (none differentiable): ``segments`` (B, H, W) superpixel ids in
    [0, ``num_segments``) or None (argmax target); ``directions``, ``delta`` and ``weights``
    of L_con (see ``continuity.py``; ``weights`` one (B, 1, h', w') tensor per direction or
    None).
    """

    @staticmethod
    def forward(
        ctx: Any,
        response: Tensor,
        scribble: Tensor | None,
        segments: Tensor | None,
        num_segments: int,
        directions: tuple[Direction, ...],
        delta: float | None,
        weights: tuple[Tensor, ...] | None,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        top, labels = response.max(dim=1)
        exp = (response - top.unsqueeze(1)).exp_()  # in (0, 1]: no overflow
        denominator = exp.sum(dim=1)  # >= 1
        log_denominator = denominator.log()
        fit = log_denominator  # cross-entropy against the argmax: r_target = r_max
        if segments is not None:
            labels = majority_labels(labels, segments, num_segments, response.shape[1])
            picked = response.gather(1, labels.unsqueeze(1)).squeeze(1)
            fit = log_denominator + top - picked
        scribbled: Tensor | None = None
        if scribble is None:
            similarity = fit.mean(dim=(1, 2))
            scribble_term = response.new_zeros(response.shape[0])
            target = labels
        else:
            scribbled = scribble != UNLABELLED
            unscribbled = (~scribbled).to(response.dtype)
            similarity = (fit * unscribbled).sum(dim=(1, 2)) / unscribbled.sum(dim=(1, 2)).clamp(
                min=1
            )
            target = torch.where(scribbled, scribble, labels)
            picked = response.gather(1, target.unsqueeze(1)).squeeze(1)
            cross_entropy = torch.where(scribbled, log_denominator + top - picked, 0.0)
            scribble_term = cross_entropy.sum(dim=(1, 2)) / scribbled.sum(dim=(1, 2)).clamp(min=1)
        continuity = response.new_zeros(response.shape[0])
        maps: tuple[Tensor | None, ...] = weights or (None,) * len(directions)
        # None for a direction without pairs (a 1-pixel-high or -wide map): it contributes 0.
        differences = [
            response[later] - response[earlier] if response[later].numel() else None
            for later, earlier in directions
        ]
        for difference, weight in zip(differences, maps):
            if difference is not None:
                norm = penalty_sum(difference, delta, weight)
                continuity = continuity + norm / difference[0].numel()
        ctx.mark_non_differentiable(labels)
        if ctx.needs_input_grad[0]:
            ctx.directions, ctx.delta = directions, delta
            ctx.save_for_backward(exp, denominator, target, scribbled, *differences, *maps)
        return similarity, continuity, scribble_term, labels

    @staticmethod
    @once_differentiable
    def backward(
        ctx: Any,
        grad_similarity: Tensor,
        grad_continuity: Tensor,
        grad_scribble: Tensor,
        _grad_labels: Tensor,
    ) -> tuple[Tensor | None, ...]:
        exp, denominator, target, scribbled, *saved = ctx.saved_tensors
        count = len(ctx.directions)
        differences, weights = saved[:count], saved[count:]
        per_sample = (-1, 1, 1, 1)
        if scribbled is None:
            # Every pixel: d L_sim / d r = (softmax - onehot(target)) * g / N.
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
        for (later, earlier), difference, weight in zip(ctx.directions, differences, weights):
            if difference is not None:
                g_con = (grad_continuity / difference[0].numel()).view(per_sample)
                step = penalty_slope(difference, ctx.delta).mul_(g_con)
                if weight is not None:
                    step.mul_(weight)
                grad[later] += step
                grad[earlier] -= step
        return grad, None, None, None, None, None, None


def similarity_and_continuity(
    response: Tensor,
    scribble: Tensor | None = None,
    *,
    continuity: Continuity = PLAIN_CONTINUITY,
    edge_weights: tuple[Tensor, ...] | None = None,
    segments: Tensor | None = None,
    num_segments: int = 0,
) -> FusedTerms:
    """The per-sample terms of a (B, C, H, W) response; see the module docstring.

    Each sample is its own image (the engine stacks independent models along B).

    Args:
        response: (B, C, H, W) logits.
        scribble: optional (B, H, W) int64, 255 = no scribble, else a channel index < C.
        continuity: the L_con variant (directions and penalty).
        edge_weights: ``continuity.edge_weights(images)`` of the B images, or None (unweighted).
        segments: optional (B, H, W) int64 superpixel ids in [0, ``num_segments``): L_sim's
            target becomes each superpixel's majority argmax label.
        num_segments: the number of superpixel ids S.
    """
    if edge_weights is not None and len(edge_weights) != len(continuity.directions):
        raise ValueError(
            f'{len(edge_weights)} edge weight maps for {len(continuity.directions)} directions'
        )
    return FusedTerms(
        *SimilarityContinuity.apply(
            response,
            scribble,
            segments,
            num_segments,
            continuity.directions,
            continuity.delta,
            edge_weights,
        )
    )
