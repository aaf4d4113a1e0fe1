"""Segment-count control: turn a response into exactly K labels (``model.num_segments``).

At the working size the labels ``c = argmax(r)`` have q distinct values. To get K:

- q > K, **merge** (Ward): repeatedly join the two labels whose merge increases the
  within-label sum of squares of the response least, ``n_a n_b / (n_a + n_b) |m_a - m_b|^2``
  (n = pixels, m = mean response vector); the joined label's mean is the size-weighted mean.
  A merge is a grouping of response channels: a pixel's label is the group of its argmax
  channel.
- q < K, **split**: repeatedly split the label with the largest within-label variance of the
  response (mean squared distance to its mean) by 2-means on its pixels' response vectors.
  A split is a nearest-centre decision between the two final centres, so it applies to any
  response vector, not only to the pixels it was fitted on.
  A label whose pixels all share one response vector cannot be split; if no label can, the
  image has fewer than K distinct vectors and fewer labels are returned.

:class:`SegmentMap` records those decisions, so the same mapping labels the response after it
is upsampled to the input size (:func:`segment_labels_at_size`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .record import OptimizationRecord
from .resize import argmax_at_size


@dataclass(frozen=True)
class Split:
    """Pixels of ``label`` closer to ``new_centre`` than to ``kept_centre`` become ``new_label``."""

    label: int
    new_label: int
    kept_centre: Tensor  # (C,)
    new_centre: Tensor  # (C,)

    def apply(self, response: Tensor, labels: Tensor) -> None:
        """Relabel in place: ``response`` (C, h, w), ``labels`` (h, w)."""
        inside = labels == self.label
        moved = _closer_to_new(response[:, inside], self.kept_centre, self.new_centre)
        labels[inside] = torch.where(moved, self.new_label, self.label)


@dataclass(frozen=True)
class SegmentMap:
    """How a response becomes its labels: channel groups, then splits, in order.

    Attributes:
        groups: (C,) int64, the label of each channel that won a pixel of the response the map
            was fitted on; -1 for the others, which never win (their values are ignored).
        splits: the splits, applied in order after the grouping.
        num_labels: labels it yields, 0..num_labels-1.
    """

    groups: Tensor
    splits: tuple[Split, ...]
    num_labels: int

    def __call__(self, response: Tensor) -> Tensor:
        """(C, h, w) response -> (h, w) int64 labels."""
        groups = self.groups.to(response.device)
        ignored = (groups < 0)[:, None, None]
        labels = groups[response.masked_fill(ignored, float('-inf')).argmax(0)]
        for split in self.splits:
            split.apply(response, labels)
        return labels


def fit_segment_map(response: Tensor, num_segments: int) -> SegmentMap:
    """The map from ``response`` (C, h, w) to exactly ``num_segments`` labels (fewer only if
    its pixels have fewer distinct response vectors).

    Labels are ordered: merged groups by their lowest channel, split-off labels after them.
    """
    if num_segments < 1:
        raise ValueError(f'num_segments must be >= 1, got {num_segments}')
    labels = response.argmax(0)
    channels = torch.unique(labels)  # sorted
    rank = torch.full((response.shape[0],), -1, dtype=torch.long, device=response.device)
    rank[channels] = torch.arange(len(channels), device=response.device)
    if len(channels) > num_segments:
        points, members = _points_and_members(response, rank[labels])
        groups = ward_groups(points, members, num_segments)
        return SegmentMap(_compose(rank, groups), (), num_segments)
    splits = split_labels(response, rank[labels], num_segments)
    return SegmentMap(rank, tuple(splits), len(channels) + len(splits))


def ward_groups(points: Tensor, labels: Tensor, num_groups: int) -> Tensor:
    """Agglomerate labels by Ward's criterion until ``num_groups`` remain.

    Args:
        points: (P, C) response vectors.
        labels: (P,) int64 labels 0..q-1, each used.
    Returns:
        (q,) int64: the group 0..num_groups-1 of each label, groups ordered by lowest label.
    """
    count = int(labels.max()) + 1
    sizes = torch.bincount(labels, minlength=count).double().cpu()
    sums = torch.zeros((count, points.shape[1]), dtype=torch.float64, device=points.device)
    means = (sums.index_add_(0, labels, points.double()).cpu() / sizes[:, None]).clone()
    owner = list(range(count))  # label -> the cluster (its lowest label) it belongs to
    alive = list(range(count))
    while len(alive) > num_groups:
        m, n = means[alive], sizes[alive]
        squared = ((m[:, None] - m[None, :]) ** 2).sum(-1)
        cost = n[:, None] * n[None, :] / (n[:, None] + n[None, :]) * squared
        cost.fill_diagonal_(float('inf'))
        i, j = divmod(int(cost.argmin()), len(alive))
        a, b = alive[min(i, j)], alive[max(i, j)]
        means[a] = (sizes[a] * means[a] + sizes[b] * means[b]) / (sizes[a] + sizes[b])
        sizes[a] += sizes[b]
        owner = [a if o == b else o for o in owner]
        alive.remove(b)
    group_of = {cluster: g for g, cluster in enumerate(alive)}  # alive stays sorted
    return torch.tensor([group_of[o] for o in owner], dtype=torch.long)


def split_labels(response: Tensor, labels: Tensor, num_labels: int) -> list[Split]:
    """Split labels (largest variance first, by 2-means) until ``num_labels`` exist.

    Args:
        response: (C, h, w).
        labels: (h, w) int64 labels 0..q-1, each used; relabelled in place.
    Returns:
        The splits made, in order (fewer than ``num_labels - q`` if the pixels run out of
        distinct response vectors).
    """
    points, flat = _points_and_members(response, labels)
    count = int(flat.max()) + 1
    splits: list[Split] = []
    unsplittable: set[int] = set()
    while count < num_labels:
        candidates = [label for label in range(count) if label not in unsplittable]
        if not candidates:
            break
        label = max(candidates, key=lambda c: _variance(points[flat == c]))
        centres = two_means(points[flat == label].T)
        if centres is None:  # one distinct vector: nothing to split
            unsplittable.add(label)
            continue
        split = Split(label, count, *centres)
        split.apply(response, labels)
        flat = labels.flatten()
        splits.append(split)
        count += 1
    return splits


def two_means(points: Tensor, max_iters: int = 50) -> tuple[Tensor, Tensor] | None:
    """Lloyd's 2-means of (C, m) points; (kept centre, new centre), or None if all are equal.

    Deterministic start: the point farthest from the mean, then the point farthest from it.
    The returned centres are the ones whose nearest-centre rule gives the final partition.
    """
    first = points[:, ((points - points.mean(1, keepdim=True)) ** 2).sum(0).argmax()]
    distances = ((points - first[:, None]) ** 2).sum(0)
    if float(distances.max()) == 0.0:
        return None
    kept, new = first, points[:, distances.argmax()]
    moved = _closer_to_new(points, kept, new)
    for _ in range(max_iters):
        next_kept, next_new = points[:, ~moved].mean(1), points[:, moved].mean(1)
        next_moved = _closer_to_new(points, next_kept, next_new)
        if next_moved.all() or not next_moved.any():  # only by rounding: keep the last split
            break
        kept, new, stable = next_kept, next_new, torch.equal(next_moved, moved)
        moved = next_moved
        if stable:
            break
    return kept, new


def segment_labels_at_size(
    response: Tensor, size: tuple[int, int], segment_map: SegmentMap
) -> tuple[Tensor, Tensor]:
    """Labels (H, W) of ``segment_map`` at ``size`` with all ``num_labels`` present.

    The map labels the bilinearly resized response, like the argmax it replaces. Resizing can
    drop a label only a few working-size pixels wide; then the working-size labels are
    resized nearest-neighbour instead (the input is never smaller than the working size, so
    every label keeps at least one pixel).

    Args:
        response: (1, C, h, w) at the working size.
    Returns:
        labels at ``size``, and the (h, w) labels at the working size.
    """
    working = segment_map(response[0])
    if tuple(response.shape[-2:]) == tuple(size):
        return working, working
    labels = argmax_at_size(response, size, segment_map)
    if len(torch.unique(labels)) < segment_map.num_labels:
        nearest = F.interpolate(working[None, None].float(), size=size, mode='nearest')
        labels = nearest[0, 0].long()
    return labels, working


def response_labels(
    response: Tensor,
    size: tuple[int, int],
    num_segments: int | None,
    record: OptimizationRecord | None = None,
) -> Tensor:
    """The labels (H, W) at ``size`` of a (1, C, h, w) response, as every mode returns them.

    ``num_segments`` None: the argmax of the bilinearly resized response. K: exactly K labels
    (:func:`fit_segment_map`, :func:`segment_labels_at_size`; fewer only if the response has
    fewer distinct vectors), noted in ``record`` (:meth:`OptimizationRecord.note_segment_count`).
    """
    if num_segments is None:
        return argmax_at_size(response, size)
    segment_map = fit_segment_map(response[0].float(), num_segments)
    labels, _ = segment_labels_at_size(response.float(), size, segment_map)
    if record is not None:
        record.note_segment_count(segment_map.num_labels, num_segments)
    return labels


def _points_and_members(response: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """(P, C) response vectors and (P,) labels of the pixels of (C, h, w) / (h, w)."""
    return response.flatten(1).T, labels.flatten()


def _variance(points: Tensor) -> float:
    """Mean squared distance of (m, C) points to their mean."""
    return float(((points - points.mean(0)) ** 2).sum(1).mean())


def _compose(rank: Tensor, groups: Tensor) -> Tensor:
    """Channel -> group through channel -> label (``rank``, -1 = unused) and label -> group."""
    composed = torch.full_like(rank, -1)
    used = rank >= 0
    composed[used] = groups.to(rank.device)[rank[used]]
    return composed


def _closer_to_new(points: Tensor, kept: Tensor, new: Tensor) -> Tensor:
    """(m,) bool: which of the (C, m) points are strictly closer to ``new`` than to ``kept``."""
    return ((points - new[:, None]) ** 2).sum(0) < ((points - kept[:, None]) ** 2).sum(0)
