"""The DynaSeg objective: L = L_sim + w(q) * L_con.

- ``L_sim``: cross-entropy between the response r and its own argmax labels c
  (c is a constant target), mean over pixels — pixels with similar features share a label.
- ``L_con``: mean |r[y+1, x] - r[y, x]| + mean |r[y, x+1] - r[y, x]| — neighbours agree.
  Unlike the authors' COCO models it is computed on the live tensor, so it carries gradient.
- ``q``: number of distinct labels in c, floored by the Silhouette phase's k when given.
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
    """Number of distinct values in ``labels`` as a 0-d int64 tensor (no host sync)."""
    return torch.bincount(labels.flatten(), minlength=num_classes).count_nonzero()


class LossOutput(NamedTuple):
    """Everything one iteration needs: the loss to back-propagate and what it saw."""

    loss: Tensor
    labels: Tensor  # (B, H, W) argmax labels c
    num_labels: Tensor  # 0-d, distinct labels in c (before the Silhouette floor)
    weight: Tensor  # 0-d, w(q) used for L_con
    similarity: Tensor  # 0-d, L_sim
    continuity: Tensor  # 0-d, L_con


@MODELS.register_module()
class DynaSegLoss(nn.Module):
    """``L_sim + w(q) * L_con`` with a pluggable dynamic weight.

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

    def forward(self, response: Tensor, q_floor: int = 1) -> LossOutput:
        """Compute the loss of one iteration.

        Args:
            response: (B, C, H, W) output of the feature extractor.
            q_floor: lower bound on q (the Silhouette phase's k; 1 when disabled).
        """
        # Cross-entropy against the argmax target is logsumexp - max; both terms and their
        # gradients come from one fused Function (same values as the expressions above).
        similarity, continuity, labels = similarity_and_continuity(response)
        similarity, continuity = similarity.mean(), continuity.mean()  # samples share a size
        num_labels = count_labels(labels, response.shape[1])
        weight = self.weight(num_labels.clamp(min=q_floor).to(response.dtype))
        weight = torch.as_tensor(weight, dtype=response.dtype, device=response.device)
        loss = self.similarity_weight * similarity + weight * continuity
        return LossOutput(
            loss, labels, num_labels, weight.detach(), similarity.detach(), continuity.detach()
        )
