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

Variants, each a config switch (defaults = the method above):

- ``continuity=dict(diagonal=..., penalty='l1'|'huber', huber_delta=..., edge_sigma=...)``:
  diagonal neighbours, smooth-L1 differences, edge-aware weights (``continuity.py``).
- ``target=dict(type='superpixel', n_segments=..., compactness=...)``: L_sim against each SLIC
  superpixel's majority label instead of the pixel's own argmax, and q counts those targets
  (Kanezaki 2018, ``superpixel.py``); ``dict(type='argmax')`` is the default. Targets are
  registered classes (``targets.py``): a new one needs no edit here.

Edge weights and superpixels depend on the image only: the engine calls :meth:`DynaSegLoss.prepare`
once per stage with the stage images and passes the result back as ``context=`` every iteration.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from dynaseg.registry import MODELS

from .continuity import Continuity
from .dynamic_weight import DynamicWeight
from .fused import similarity_and_continuity
from .targets import build_target


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
    labels: Tensor  # (B, H, W) L_sim's targets c: argmax labels, or their superpixel majority
    num_labels: Tensor  # (B,) int64, distinct labels in c (before the Silhouette floor)
    weight: Tensor  # (B,) w(q) used for L_con
    similarity: Tensor  # (B,) L_sim
    continuity: Tensor  # (B,) L_con
    scribble: Tensor  # (B,) scribble cross-entropy, zeros without a scribble


class LossContext(NamedTuple):
    """What the loss takes from the stage images, once per stage (:meth:`DynaSegLoss.prepare`)."""

    edge_weights: tuple[Tensor, ...] | None  # per continuity direction (N, 1, h', w'), or None
    segments: Tensor | None  # (N, h, w) int64 superpixel ids in [0, num_segments), or None
    num_segments: int

    def select(self, index: Tensor) -> LossContext:
        """The context of the samples ``index`` ((A,) int64), in that order."""
        return LossContext(
            None if self.edge_weights is None else tuple(w[index] for w in self.edge_weights),
            None if self.segments is None else self.segments[index],
            self.num_segments,
        )


@MODELS.register_module()
class DynaSegLoss(nn.Module):
    """``L_sim + w(q) * L_con`` with a pluggable dynamic weight, per sample.

    Args:
        weight: a :class:`DynamicWeight` or its config (``dict(type='SCFWeight', mu=50)``).
        similarity_weight: factor on L_sim (Kim's ``stepsize_sim``, 1).
        continuity: :class:`~.continuity.Continuity` fields, e.g. ``dict(edge_sigma=0.1)``;
            None = the method's L_con.
        target: L_sim's target, a registered type of :data:`~dynaseg.registry.LOSS_TARGETS`:
            ``dict(type='argmax')`` (default) or
            ``dict(type='superpixel', n_segments=10000, compactness=100.0)``
            (:class:`~.superpixel.SuperpixelTarget`).
    """

    def __init__(
        self,
        weight: dict | DynamicWeight | None = None,
        similarity_weight: float = 1.0,
        continuity: dict | None = None,
        target: dict | None = None,
    ) -> None:
        super().__init__()
        weight = weight if weight is not None else dict(type='SCFWeight')
        self.weight = MODELS.build(weight) if isinstance(weight, dict) else weight
        self.similarity_weight = similarity_weight
        self.continuity = Continuity(**(continuity or {}))
        self.target = build_target(target)

    @property
    def needs_context(self) -> bool:
        """Whether :meth:`forward` needs ``context=prepare(images)`` (edge weights, superpixels)."""
        return self.continuity.edge_sigma is not None or self.target.needs_images

    def prepare(self, images: Tensor) -> LossContext | None:
        """What the loss needs from the images of one stage; None when it needs nothing.

        Args:
            images: (N, 3, h, w) the stage's images, sample n for response n, normalised as
                the extractor sees them (RGB in [0, 1] in the shipped configs).
        """
        if not self.needs_context:
            return None
        segments, num_segments = self.target.regions(images) or (None, 0)
        return LossContext(self.continuity.edge_weights(images), segments, num_segments)

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
        context: LossContext | None = None,
    ) -> LossOutput:
        """Compute the per-sample losses of one iteration.

        Args:
            response: (B, C, H, W) output of the feature extractor(s).
            q_floor: lower bound on q, an int or (B,) int64 (the Silhouette phase's k; 1 = none).
            scribble: optional (B, H, W) int64 mask, 255 = no scribble, other values = the
                channel (< C) those pixels must take; validated where it was read.
            scribble_weight: factor on the scribble cross-entropy (Kim's ``stepsize_scr``, 0.5).
            context: ``prepare(images)`` of the B images at this size; required when
                :attr:`needs_context`.
        """
        if context is None and self.needs_context:
            raise ValueError(
                'this loss (edge-aware continuity or superpixel target) needs the images: '
                'pass context=loss.prepare(images)'
            )
        # Cross-entropy against a target is logsumexp - r_target; every term and its gradient
        # comes from one fused Function (same values as the expressions above).
        terms = similarity_and_continuity(
            response,
            scribble,
            continuity=self.continuity,
            edge_weights=None if context is None else context.edge_weights,
            segments=None if context is None else context.segments,
            num_segments=0 if context is None else context.num_segments,
        )
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
