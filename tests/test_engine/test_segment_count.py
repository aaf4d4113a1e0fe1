"""Segment-count control: Ward merges and 2-means splits to exactly K labels, at any size."""

import pytest
import torch

from dynaseg.engine import argmax_at_size
from dynaseg.engine.segment_count import (
    SegmentMap,
    Split,
    fit_segment_map,
    segment_labels_at_size,
    two_means,
    ward_groups,
)

# Four 4x4 blobs of an 8x8 image: top-left, top-right, bottom-left, bottom-right.
REGIONS = torch.zeros(8, 8, dtype=torch.long)
REGIONS[:, 4:] = 1
REGIONS[4:, :4] = 2
REGIONS[4:, 4:] = 3


def blobs(means: list[list[float]], noise: float = 0.01) -> torch.Tensor:
    """(C, 8, 8) response: each blob's mean vector plus a little seeded noise."""
    generator = torch.Generator().manual_seed(0)
    centres = torch.tensor(means)
    response = centres[REGIONS].permute(2, 0, 1)
    return response + noise * torch.randn(response.shape, generator=generator)


# Each blob wins its own channel; blobs 2 and 3 are close (0.08 apart squared), 0 and 1 next
# closest (Ward 8 * 50 = 400 against 16 * 32 / 48 * 73 = 779 for 0 with {2, 3}).
FOUR = [[5.0, 0, 0, 0], [0, 5.0, 0, 0], [0, 0, 5.0, 4.8], [0, 0, 4.8, 5.0]]


def test_merge_joins_the_closest_blobs_first():
    response = blobs(FOUR)
    three = fit_segment_map(response, 3)
    assert three.num_labels == 3 and three.splits == ()
    assert three.groups.tolist() == [0, 1, 2, 2]
    assert torch.equal(three(response), torch.tensor([0, 1, 2, 2])[REGIONS])
    two = fit_segment_map(response, 2)
    assert two.groups.tolist() == [0, 0, 1, 1]
    assert torch.equal(two(response), torch.tensor([0, 0, 1, 1])[REGIONS])
    assert fit_segment_map(response, 1)(response).unique().tolist() == [0]


def test_ward_weighs_the_sizes():
    """Equal distances: Ward joins the two small labels, not a small one with the large."""
    points = torch.tensor([[0.0], [1.0], [2.0]]).repeat_interleave(torch.tensor([10, 1, 1]), 0)
    labels = torch.tensor([0, 1, 2]).repeat_interleave(torch.tensor([10, 1, 1]))
    # 0-1: 10 * 1 / 11 * 1 = 0.91; 1-2: 1 * 1 / 2 * 1 = 0.5.
    assert ward_groups(points, labels, 2).tolist() == [0, 1, 1]


def test_channels_that_never_win_are_ignored():
    """A channel absent from the fitted response cannot take pixels of a new response."""
    response = blobs([[5.0, 0, 0, 9.0], [0, 5.0, 0, 0], [0, 0, 5.0, 0], [0, 0, 0, 5.0]])
    response[3] = -10.0  # channel 3 wins nowhere
    segment_map = fit_segment_map(response, 2)
    assert segment_map.groups[3] == -1
    other = response.clone()
    other[3] = 100.0  # would win everywhere under a plain argmax
    assert torch.equal(segment_map(other), segment_map(response))


def test_split_to_six_refines_the_four_blobs():
    response = blobs(FOUR, noise=0.05)
    segment_map = fit_segment_map(response, 6)
    labels = segment_map(response)
    assert segment_map.num_labels == 6 and len(segment_map.splits) == 2
    assert labels.unique().tolist() == list(range(6))
    for label in range(6):  # every new label lies inside one blob
        assert len(REGIONS[labels == label].unique()) == 1


def test_split_takes_the_label_with_the_largest_variance_along_its_modes():
    """Blob 0 has two halves with distinct responses (both won by channel 0): K = 5 splits it
    between them, and nothing else."""
    response = blobs(FOUR)
    response[1, :2, :4] += 2.0  # top two rows of blob 0: channel 1 raised, still below 5
    segment_map = fit_segment_map(response, 5)
    labels = segment_map(response)
    (split,) = segment_map.splits
    assert (split.label, split.new_label) == (0, 4)
    assert {tuple(labels[:2, :4].unique().tolist()), tuple(labels[2:4, :4].unique().tolist())} == {
        (0,),
        (4,),
    }
    assert torch.equal(labels[REGIONS > 0], REGIONS[REGIONS > 0])


def test_fewer_distinct_vectors_than_asked():
    """Two distinct response vectors cannot make three labels: two are returned."""
    response = torch.zeros(3, 4, 4)
    response[0, :, :2] = 1.0
    response[1, :, 2:] = 1.0
    segment_map = fit_segment_map(response, 3)
    assert segment_map.num_labels == 2 and segment_map.splits == ()
    assert two_means(torch.ones(3, 5)) is None


def test_two_means_returns_the_centres_of_its_partition():
    points = torch.tensor([[0.0, 0.1, 0.2, 5.0, 5.2]])
    kept, new = two_means(points)
    assert sorted([float(kept), float(new)]) == pytest.approx([0.1, 5.1])


@pytest.mark.parametrize('k', [2, 3, 4, 6])
def test_exactly_k_labels_after_upsampling(k):
    response = blobs(FOUR, noise=0.05)
    segment_map = fit_segment_map(response, k)
    labels, working = segment_labels_at_size(response[None], (19, 23), segment_map)
    assert labels.shape == (19, 23) and labels.unique().tolist() == list(range(k))
    assert torch.equal(working, segment_map(response))
    # Merged labels map consistently: the upsampled corner of each blob keeps its label.
    assert labels[0, 0] == working[0, 0] and labels[-1, -1] == working[-1, -1]


def test_a_label_lost_by_bilinear_upsampling_comes_back():
    """A one-pixel label that the resized response no longer wins: nearest resizing keeps it."""
    response = torch.zeros(2, 1, 3)
    response[0] = torch.tensor([1.0, 0.0, 1.0])
    response[1] = torch.tensor([0.0, 0.6, 0.0])  # wins the middle pixel only
    segment_map = SegmentMap(torch.tensor([0, 1]), (), 2)
    assert argmax_at_size(response[None], (1, 4)).tolist() == [[0, 0, 0, 0]]  # plain resizing
    labels, _ = segment_labels_at_size(response[None], (1, 4), segment_map)
    assert labels.unique().tolist() == [0, 1]


def test_split_applies_to_new_pixels_by_nearest_centre():
    split = Split(0, 1, torch.tensor([0.0]), torch.tensor([2.0]))
    labels = torch.zeros(1, 3, dtype=torch.long)
    split.apply(torch.tensor([[[0.9, 1.1, 3.0]]]), labels)
    assert labels.tolist() == [[0, 1, 1]]


def test_invalid_k():
    with pytest.raises(ValueError, match='num_segments'):
        fit_segment_map(torch.zeros(2, 2, 2), 0)
