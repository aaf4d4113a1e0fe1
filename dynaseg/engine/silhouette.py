"""The Silhouette Score Phase: a lower bound on the label count q.

Before optimisation, per-pixel features (a bounded random subsample of them) are
clustered with k-means for every k in [k_min, k_max]; the k with the best mean
silhouette coefficient floors q in the dynamic weight, so the label count seen
by w(q) cannot collapse. Unlike the released code, it clusters pixels (not image
rows) and is actually called.
"""

from __future__ import annotations

import torch
from torch import Tensor


def kmeans(points: Tensor, k: int, generator: torch.Generator, iters: int = 50) -> Tensor:
    """Lloyd's k-means with k-means++ seeding.

    Args:
        points: (N, D) float features.
        k: number of clusters, 1 <= k <= N.
        generator: seeds the k-means++ draws, so a seed gives one answer.
    Returns:
        (N,) int64 cluster index of each point.
    """
    n = points.shape[0]
    centres = points[torch.randint(n, (1,), generator=generator)]
    closest = torch.cdist(points, centres).squeeze(1) ** 2
    for _ in range(1, k):
        probs = closest / closest.sum() if closest.sum() > 0 else torch.full_like(closest, 1 / n)
        new = points[torch.multinomial(probs, 1, generator=generator)]
        centres = torch.cat([centres, new])
        closest = torch.minimum(closest, torch.cdist(points, new).squeeze(1) ** 2)
    assign = torch.cdist(points, centres).argmin(1)
    for _ in range(iters):
        sums = torch.zeros_like(centres).index_add_(0, assign, points)
        counts = torch.bincount(assign, minlength=k).unsqueeze(1)
        # An emptied cluster keeps its old centre rather than dividing by zero.
        centres = torch.where(counts > 0, sums / counts.clamp(min=1), centres)
        new_assign = torch.cdist(points, centres).argmin(1)
        if torch.equal(new_assign, assign):
            break
        assign = new_assign
    return assign


def silhouette_score(distances: Tensor, assign: Tensor) -> float:
    """Mean silhouette coefficient (sklearn's convention: 0 for points alone in their cluster).

    Args:
        distances: (N, N) pairwise distances.
        assign: (N,) cluster indices.
    """
    k = int(assign.max()) + 1
    one_hot = torch.nn.functional.one_hot(assign, k).to(distances.dtype)
    counts = one_hot.sum(0)
    sums = distances @ one_hot  # (N, k) distance to each cluster
    own = counts[assign]
    a = sums.gather(1, assign[:, None]).squeeze(1) / (own - 1).clamp(min=1)
    mean_to_other = sums / counts.clamp(min=1)
    mean_to_other = mean_to_other.masked_fill(one_hot.bool() | (counts == 0), float('inf'))
    b = mean_to_other.min(1).values
    s = (b - a) / torch.maximum(a, b).clamp(min=1e-12)
    s = torch.where((own > 1) & torch.isfinite(b), s, torch.zeros_like(s))
    return float(s.mean())


def silhouette_lower_bound(
    features: Tensor, k_min: int = 3, k_max: int = 26, num_samples: int = 1000, seed: int = 0
) -> tuple[int, dict[int, float]]:
    """Pick k in [k_min, k_max] with the best silhouette score on subsampled pixels.

    Args:
        features: (C, H, W) per-pixel features.
        num_samples: pixels drawn (without replacement) so the cost is bounded
            whatever the image size: O(num_samples^2) for the distances.
        seed: makes the subsample and k-means deterministic.
    Returns:
        (best k, {k: score}) — k is clipped to the number of distinct sampled points.
    """
    if k_min < 2 or k_max < k_min:
        raise ValueError(f'need 2 <= k_min <= k_max, got k_min={k_min}, k_max={k_max}')
    generator = torch.Generator().manual_seed(seed)
    points = features.detach().flatten(1).T.float().cpu()  # (H*W, C)
    if points.shape[0] > num_samples:
        points = points[torch.randperm(points.shape[0], generator=generator)[:num_samples]]
    distinct = torch.unique(points, dim=0).shape[0]
    distances = torch.cdist(points, points)
    scores: dict[int, float] = {}
    for k in range(k_min, min(k_max, distinct - 1) + 1):
        scores[k] = silhouette_score(distances, kmeans(points, k, generator))
    if not scores:
        return min(k_min, max(distinct, 1)), scores
    return max(scores, key=scores.__getitem__), scores
