"""The DynaSeg objective: L = L_sim + w(q) * L_con, per sample.

- ``L_sim``: cross-entropy between the response r and its own argmax labels c
  (c is a constant target), mean over pixels — pixels with similar features share a label.
- ``L_con``: mean |r[y+1, x] - r[y, x]| + mean |r[y, x+1] - r[y, x]| — neighbours agree.
  Unlike the authors' COCO models it is computed on the live tensor, so it carries gradient.
- ``q``: number of distinct labels in c, floored by the Silhouette phase's k when given.
- With Kim et al.'s scribble guidance (255 = no scribble)::

      L = L_sim(unscribbled pixels) + scribble_weight * CE(r[scribbled], scribble) + w(q) * L_con

  A scribbled pixel's target is its scribble, so it is left out of L_sim (pulling it towards
  its own argmax as well would fight the user); L_con and q cover the whole image.

Every sample of the batch is its own image (the engine stacks independent models along B),
so each gets its own q, w(q) and loss.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from dynaseg.registry import MODELS

from .dynamic_weight import DynamicWeight
from .fused import similarity_and_continuity


def feature_similarity_loss(response: Tensor, labels: Tensor) -> Tensor:
    """Cross-entropy of ``response`` against ``labels``, mean over pixels.

    Args:
        response: (B, C, H, W) logits.
        labels: (B, H, W) int64 targets in [0, C).
    """
    return nn.functional.cross_entropy(response, labels)


def spatial_continuity_loss(response: Tensor) -> Tensor:
    """Mean absolute vertical plus mean absolute horizontal difference.

    Args:
        response: (B, C, H, W). A 1-pixel-high (or -wide) map has no pair in that
            direction; that direction then contributes 0.
    """
    total = response.new_zeros(())
    if response.shape[-2] > 1:
        total = total + (response[..., 1:, :] - response[..., :-1, :]).abs().mean()
    if response.shape[-1] > 1:
        total = total + (response[..., :, 1:] - response[..., :, :-1]).abs().mean()
    return total


def count_labels(labels: Tensor, num_classes: int) -> Tensor:
    """Distinct values per sample, (B, H, W) -> (B,) int64, with no host sync.

    One bincount for the whole batch: sample b's labels are offset by ``b * num_classes``.
    """
    samples = labels.shape[0]
    offsets = torch.arange(samples, device=labels.device).view(-1, 1, 1) * num_classes
    return (
        torch.bincount((labels + offsets).flatten(), minlength=samples * num_classes)
        .view(samples, num_classes)
        .count_nonzero(dim=1)
    )


class LossOutput(NamedTuple):
    """Everything one iteration needs, per sample: the losses and what they saw."""

    loss: Tensor  # (B,) with gradient; back-propagate their sum (samples are independent)
    labels: Tensor  # (B, H, W) argmax labels c
    num_labels: Tensor  # (B,) int64, distinct labels in c (before the Silhouette floor)
    weight: Tensor  # (B,) w(q) used for L_con
    similarity: Tensor  # (B,) L_sim
    continuity: Tensor  # (B,) L_con
    scribble: Tensor  # (B,) scribble cross-entropy, zeros without a scribble


@MODELS.register_module()
class DynaSegLoss(nn.Module):
    """``L_sim + w(q) * L_con`` with a pluggable dynamic weight, per sample.

    Args:
        weight: a :class:`DynamicWeight` or its config (``dict(type='SCFWeight', mu=50)``).
        similarity_weight: factor on L_sim (Kim's ``stepsize_sim``, 1).
    """

    def __init__(
        self, weight: dict | DynamicWeight | None = None, similarity_weight: float = 1.0
    ) -> None:
        super().__init__()
        weight = weight if weight is not None else dict(type='SCFWeight')
        self.weight = MODELS.build(weight) if isinstance(weight, dict) else weight
        self.similarity_weight = similarity_weight

    def continuity_weight(
        self, num_labels: Tensor, q_floor: int | Tensor, dtype: torch.dtype
    ) -> Tensor:
        """w(max(q, q_floor)) per sample: (B,) label counts -> (B,) weights of ``dtype``."""
        weight = self.weight(num_labels.clamp(min=q_floor).to(dtype))
        # FixedWeight returns a Python float: give it the counts' shape and device.
        return torch.as_tensor(weight, dtype=dtype, device=num_labels.device).expand(
            num_labels.shape
        )

    def forward(
        self,
        response: Tensor,
        q_floor: int | Tensor = 1,
        scribble: Tensor | None = None,
        scribble_weight: float = 0.5,
    ) -> LossOutput:
        """Compute the per-sample losses of one iteration.

        Args:
            response: (B, C, H, W) output of the feature extractor(s).
            q_floor: lower bound on q, an int or (B,) int64 (the Silhouette phase's k; 1 = none).
            scribble: optional (B, H, W) int64 mask, 255 = no scribble, other values = the
                channel (< C) those pixels must take; validated where it was read.
            scribble_weight: factor on the scribble cross-entropy (Kim's ``stepsize_scr``, 0.5).
        """
        # Cross-entropy against a target is logsumexp - r_target; every term and its gradient
        # comes from one fused Function (same values as the expressions above).
        terms = similarity_and_continuity(response, scribble)
        num_labels = count_labels(terms.labels, response.shape[1])
        weight = self.continuity_weight(num_labels, q_floor, response.dtype)
        fit = self.similarity_weight * terms.similarity
        if scribble is not None:
            fit = fit + scribble_weight * terms.scribble
        loss = fit + weight * terms.continuity
        return LossOutput(
            loss,
            terms.labels,
            num_labels,
            weight.detach(),
            terms.similarity.detach(),
            terms.continuity.detach(),
            terms.scribble.detach(),
        )
