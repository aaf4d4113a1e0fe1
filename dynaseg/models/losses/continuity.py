"""Variants of the spatial continuity term L_con, as one config (``model.loss.continuity``).

    L_con = sum over directions d of  mean over channels and pairs (p, p + d) of
            omega_d(p) * rho(r[p + d] - r[p])

- directions: vertical and horizontal (Kim et al., DynaSeg); ``diagonal=True`` adds the two
  diagonals (down-right, down-left) as in the authors' later DynaGuide, each its own mean.
- rho: ``'l1'`` = |x| (Kim et al.); ``'huber'`` = smooth L1 with threshold delta,
  ``x^2 / (2 delta)`` for |x| < delta, else ``|x| - delta / 2`` (``F.smooth_l1_loss`` with
  ``beta=delta``): small differences are pulled gently, large ones as in L1.
- omega: 1, or with ``edge_sigma=s`` the edge-aware weight ``exp(-||I_p+d - I_p||^2 / (2 s^2))``
  of the input image I at the stage size (RGB in [0, 1] in the shipped configs), so continuity
  relaxes across strong image edges. It depends on the image only, so it is computed once per
  stage (:meth:`~.DynaSegLoss.prepare`), not per iteration.

The defaults (l1, two directions, no edge weight) are the method's L_con, computed by the same
operations as before (bit-identical).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

#: (later, earlier) index pairs of each direction d: ``x[later] - x[earlier]`` is the
#: (..., h', w') map of x[p + d] - x[p] over the pairs that lie inside the image.
Direction = tuple[tuple, tuple]
VERTICAL: Direction = ((..., slice(1, None), slice(None)), (..., slice(None, -1), slice(None)))
HORIZONTAL: Direction = ((..., slice(None), slice(1, None)), (..., slice(None), slice(None, -1)))
DOWN_RIGHT: Direction = (
    (..., slice(1, None), slice(1, None)),
    (..., slice(None, -1), slice(None, -1)),
)
DOWN_LEFT: Direction = (
    (..., slice(1, None), slice(None, -1)),
    (..., slice(None, -1), slice(1, None)),
)


@dataclass(frozen=True)
class Continuity:
    """How L_con is computed; see the module docstring.

    Args:
        diagonal: also the two diagonal neighbour differences.
        penalty: ``'l1'`` or ``'huber'`` (smooth L1).
        huber_delta: the smooth-L1 threshold (> 0), used with ``penalty='huber'``.
        edge_sigma: colour scale s (> 0) of the edge-aware weight; None = unweighted.
    """

    diagonal: bool = False
    penalty: str = 'l1'
    huber_delta: float = 1.0
    edge_sigma: float | None = None

    def __post_init__(self) -> None:
        if self.penalty not in ('l1', 'huber'):
            raise ValueError(f"continuity penalty must be 'l1' or 'huber', got {self.penalty!r}")
        if self.huber_delta <= 0:
            raise ValueError(f'huber_delta must be positive, got {self.huber_delta}')
        if self.edge_sigma is not None and self.edge_sigma <= 0:
            raise ValueError(f'edge_sigma must be positive or None, got {self.edge_sigma}')

    @property
    def directions(self) -> tuple[Direction, ...]:
        """The neighbour directions d of L_con, in the order of its edge weights."""
        straight = (VERTICAL, HORIZONTAL)
        return straight + (DOWN_RIGHT, DOWN_LEFT) if self.diagonal else straight

    @property
    def delta(self) -> float | None:
        """The smooth-L1 threshold, None for plain L1."""
        return self.huber_delta if self.penalty == 'huber' else None

    def edge_weights(self, images: Tensor) -> tuple[Tensor, ...] | None:
        """Per-pair weights omega_d of each direction, or None without ``edge_sigma``.

        Args:
            images: (N, 3, h, w) the stage images, one per sample.
        Returns:
            one (N, 1, h', w') tensor per direction (empty where a direction has no pairs),
            shared by all channels of the response.
        """
        if self.edge_sigma is None:
            return None
        scale = -1.0 / (2.0 * self.edge_sigma**2)
        weights = []
        for later, earlier in self.directions:
            step = images[later] - images[earlier]
            weights.append(step.square().sum(dim=1, keepdim=True).mul_(scale).exp_())
        return tuple(weights)


def penalty_sum(difference: Tensor, delta: float | None, weight: Tensor | None) -> Tensor:
    """Sum over channels and pairs of omega * rho(d): (B, C, h', w') -> (B,).

    Args:
        difference: (B, C, h', w') neighbour differences d of one direction.
        delta: smooth-L1 threshold; None = L1.
        weight: (B, 1, h', w') edge weights omega, or None (all 1).
    """
    if delta is None:
        if weight is None:
            # vector_norm(., 1) sums |d| without materialising |d|.
            return torch.linalg.vector_norm(difference, 1, dim=(1, 2, 3))
        per_pair = torch.linalg.vector_norm(difference, 1, dim=1)
    else:
        size = difference.abs()
        per_pair = torch.where(
            size < delta, size.square().mul_(0.5 / delta), size - 0.5 * delta
        ).sum(dim=1)
    if weight is not None:
        per_pair = per_pair * weight[:, 0]
    return per_pair.sum(dim=(1, 2))


def penalty_slope(difference: Tensor, delta: float | None) -> Tensor:
    """rho'(d) as a new (B, C, h', w') tensor: sign(d), or clamp(d / delta, -1, 1) for smooth L1."""
    if delta is None:
        return difference.sign()
    return (difference / delta).clamp_(-1.0, 1.0)
