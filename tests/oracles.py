"""Test oracles: the DynaSeg loss terms written plainly with autograd, to check the fused kernels
(``dynaseg/models/losses/fused.py``) and the loss variants against."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from dynaseg.models.losses import Continuity


def feature_similarity_loss(response: Tensor, labels: Tensor) -> Tensor:
    """Cross-entropy of ``response`` against ``labels``, mean over pixels.

    Args:
        response: (B, C, H, W) logits.
        labels: (B, H, W) int64 targets in [0, C).
    """
    return nn.functional.cross_entropy(response, labels)


def spatial_continuity_loss(
    response: Tensor,
    continuity: Continuity | None = None,
    edge_weights: tuple[Tensor, ...] | None = None,
) -> Tensor:
    """L_con written with autograd: sum over directions of mean omega * rho(difference).

    By default mean absolute vertical plus mean absolute horizontal difference.

    Args:
        response: (B, C, H, W). A direction without pairs (a 1-pixel-high or -wide map)
            contributes 0.
        continuity: the variant (directions, L1 or smooth L1); None = the method's.
        edge_weights: one (B, 1, h', w') weight map per direction, or None.
    """
    continuity = continuity or Continuity()
    weights = edge_weights or (None,) * len(continuity.directions)
    total = response.new_zeros(())
    for (later, earlier), weight in zip(continuity.directions, weights):
        difference = response[later] - response[earlier]
        if difference.numel() == 0:
            continue
        if continuity.delta is None:
            penalty = difference.abs()
        else:
            penalty = nn.functional.smooth_l1_loss(
                difference, torch.zeros_like(difference), reduction='none', beta=continuity.delta
            )
        total = total + (penalty if weight is None else penalty * weight).mean()
    return total
