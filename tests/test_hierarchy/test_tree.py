"""The region hierarchy: exact cuts, the BSDS ucm2 convention, and the round trip through it."""

import numpy as np
import pytest
from scipy import ndimage

from dynaseg.hierarchy.regions import RegionGraph
from dynaseg.hierarchy.tree import RegionHierarchy

# Five 4-connected regions: label 0 occurs twice (top-left and bottom-right), label 2 touches
# label 3 only through a diagonal at (3, 2)/(2, 1) and along a side.
LABELS = np.array([[0, 0, 1, 1], [0, 2, 2, 1], [3, 3, 2, 1], [3, 3, 0, 0]])


def hierarchy(weights=None) -> RegionHierarchy:
    graph = RegionGraph.from_labels(LABELS)
    if weights is None:
        weights = np.arange(graph.num_boundaries, dtype=float)
    return RegionHierarchy.from_boundary_weights(graph, np.asarray(weights, float))


def count(labels: np.ndarray) -> int:
    return len(np.unique(labels))


def bsds_cut(ucm2: np.ndarray, level: float) -> np.ndarray:
    """The MATLAB benchmark's cut: bwlabel(ucm2 <= t) (8-connectivity) at the pixel sites."""
    components, _ = ndimage.label(ucm2 <= level, structure=np.ones((3, 3)))
    return components[1::2, 1::2]


def test_finest_level_is_the_4_connected_regions():
    graph = RegionGraph.from_labels(LABELS)
    assert graph.num_regions == 5  # label 0 is two regions
    assert count(hierarchy().cut_level(0.0)) == 5


def test_every_region_count_is_a_cut_even_with_tied_weights():
    tree = hierarchy(weights=np.zeros(RegionGraph.from_labels(LABELS).num_boundaries))
    for k in range(1, 6):
        assert count(tree.cut_regions(k)) == k
    with pytest.raises(ValueError, match='finest level has 5'):
        tree.cut_regions(6)
    with pytest.raises(ValueError, match='level must be in'):
        tree.cut_level(1.5)


def test_levels_are_strictly_increasing_in_zero_one():
    tree = hierarchy(weights=[3.0, 3.0, 1.0, 7.0, 3.0, 2.0, 1.0, 3.0])
    inner = tree.altitudes[tree.num_leaves :]
    assert inner.min() > 0 and inner.max() <= 1
    assert len(np.unique(inner)) == inner.size
    parents = tree.tree.parents()
    assert np.all(tree.altitudes[parents[:-1]] >= tree.altitudes[:-1])


def test_ucm2_follows_the_bsds_convention_and_round_trips():
    tree = hierarchy()
    ucm2 = tree.ucm2()
    assert ucm2.shape == (2 * 4 + 1, 2 * 4 + 1)
    levels = np.unique(tree.altitudes)
    for level in [0.0, *levels, 0.5, 1.0]:
        ours = tree.cut_level(float(level))
        theirs = bsds_cut(ucm2, float(level))
        # Same partition: a one-to-one map between the two labellings.
        pairs = np.unique(np.stack([ours.ravel(), theirs.ravel()]), axis=1)
        assert pairs.shape[1] == count(ours) == count(theirs)
    back = RegionHierarchy.from_ucm2(ucm2)
    assert back.num_leaves == tree.num_leaves
    np.testing.assert_allclose(back.ucm2(), ucm2, atol=1e-9)
    with pytest.raises(ValueError, match='one weight per boundary'):
        hierarchy(weights=[1.0, 2.0])
    with pytest.raises(ValueError, match='odd sides'):
        RegionHierarchy.from_ucm2(np.zeros((4, 5)))


@pytest.mark.parametrize('weights', [None, [3.0, 3.0, 1.0, 7.0, 3.0, 2.0, 1.0, 3.0], 'zeros'])
def test_a_cut_of_the_saved_ucm2_is_the_cut_of_the_tree(weights):
    """Cut.of_ucm2 thresholds the ucm2 instead of rebuilding the tree: the same labels, numbered
    the same way, for every region count and a few levels (ties broken by the saved levels)."""
    from dynaseg.hierarchy import Cut

    if weights == 'zeros':
        weights = np.zeros(RegionGraph.from_labels(LABELS).num_boundaries)
    tree = hierarchy(weights)
    ucm2 = tree.ucm2()
    cuts = [Cut(), *(Cut(regions=k) for k in range(1, 6)), Cut(level=0.5), Cut(level=1.0)]
    for cut in cuts:
        labels = cut.of_ucm2(ucm2)
        np.testing.assert_array_equal(labels, cut.of(tree))
        np.testing.assert_array_equal(labels, cut.of(RegionHierarchy.from_ucm2(ucm2)))
        first_seen = list(dict.fromkeys(labels.ravel().tolist()))
        assert first_seen == list(range(len(first_seen)))  # numbered in raster order
    with pytest.raises(ValueError, match='finest level has 5'):
        Cut(regions=6).of_ucm2(ucm2)


def test_a_ucm2_with_tied_levels_is_cut_through_its_tree():
    """Two boundaries at one level (a ucm2 this package did not write): K regions still exist
    for every K, because the tree breaks the tie."""
    from dynaseg.hierarchy import Cut

    ucm2 = np.zeros((5, 7))  # a 2 x 3 image, three columns
    ucm2[:, 2] = ucm2[:, 4] = 0.5  # both column boundaries at one level, out to the frame
    for k in (1, 2, 3):
        labels = Cut(regions=k).of_ucm2(ucm2)
        assert count(labels) == k
        np.testing.assert_array_equal(labels, Cut(regions=k).of(RegionHierarchy.from_ucm2(ucm2)))
