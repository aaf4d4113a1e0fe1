"""The Silhouette Score Phase: k-means, silhouette coefficient, and the chosen lower bound."""

import pytest
import torch

from dynaseg.engine.silhouette import kmeans, silhouette_lower_bound, silhouette_score


def blobs(k: int, per: int = 60, dim: int = 5, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(k, dim, generator=g) * 20
    truth = torch.arange(k).repeat_interleave(per)
    return centres[truth] + torch.randn(k * per, dim, generator=g), truth


def test_silhouette_by_hand():
    # Points 0, 1 | 10, 12 on a line. Point 0: a=1, b=mean(10,12)=11 -> 10/11.
    # Point 1: a=1, b=10 -> 0.9. Point 10: a=2, b=9.5 -> 7.5/9.5. Point 12: a=2, b=11.5 -> 9.5/11.5.
    x = torch.tensor([[0.0], [1.0], [10.0], [12.0]])
    score = silhouette_score(torch.cdist(x, x), torch.tensor([0, 0, 1, 1]))
    assert score == pytest.approx((10 / 11 + 0.9 + 7.5 / 9.5 + 9.5 / 11.5) / 4, rel=1e-5)


def test_silhouette_singleton_counts_zero():
    x = torch.tensor([[0.0], [1.0], [10.0]])
    # Point 0: a=1, b=10 -> 0.9; point 1: a=1, b=9 -> 8/9; point 10 is alone in its
    # cluster and scores 0 (sklearn's convention).
    score = silhouette_score(torch.cdist(x, x), torch.tensor([0, 0, 1]))
    assert score == pytest.approx((0.9 + 8 / 9 + 0) / 3, rel=1e-5)


def test_kmeans_recovers_blobs():
    points, truth = blobs(4)
    assign = kmeans(points, 4, torch.Generator().manual_seed(0))
    # Same partition up to renaming: every true blob maps to one cluster.
    for k in range(4):
        assert len(torch.unique(assign[truth == k])) == 1
    assert len(torch.unique(assign)) == 4


@pytest.mark.parametrize('k', [3, 5, 7])
def test_lower_bound_finds_number_of_blobs(k):
    points, _ = blobs(k)
    features = points.T.reshape(points.shape[1], 1, -1)  # (C, 1, N) as a feature map
    best, scores = silhouette_lower_bound(features, 3, 10, num_samples=1000, seed=0)
    assert best == k
    assert set(scores) == set(range(3, 11))


def test_lower_bound_deterministic_and_subsampled():
    features = torch.randn(8, 40, 50)
    first = silhouette_lower_bound(features, 3, 8, num_samples=300, seed=1)
    second = silhouette_lower_bound(features, 3, 8, num_samples=300, seed=1)
    assert first == second
    assert silhouette_lower_bound(features, 3, 8, num_samples=300, seed=2)[1] != first[1]
    # k is capped below the number of sampled points: with all 2000 pixels distinct, the
    # candidates show how many were drawn.
    for drawn in (4, 6):
        _, scores = silhouette_lower_bound(features, 3, 8, num_samples=drawn, seed=1)
        assert set(scores) == set(range(3, drawn))
    assert set(first[1]) == set(range(3, 9))


def test_lower_bound_few_distinct_points():
    features = torch.zeros(3, 4, 4)
    features[0, :2] = 1.0  # two distinct feature vectors
    best, scores = silhouette_lower_bound(features, 3, 26)
    assert scores == {} and best == 2


def test_lower_bound_rejects_bad_range():
    with pytest.raises(ValueError):
        silhouette_lower_bound(torch.zeros(3, 2, 2), 5, 4)
