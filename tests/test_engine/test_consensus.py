"""Consensus of seeds: variation of information and the medoid label map."""

import math

import numpy as np
import pytest

from dynaseg.engine.consensus import Consensus, medoid, variation_of_information


def test_vi_by_hand():
    halves = np.array([[0, 0, 1, 1]])
    assert variation_of_information(halves, halves) == 0.0
    assert variation_of_information(halves, 7 - halves) == 0.0  # label names do not matter
    # One segment against two halves: H(a|b) = 0, H(b|a) = log 2.
    assert variation_of_information(np.zeros((1, 4)), halves) == pytest.approx(math.log(2))
    # Halves against quarters: quarters refine halves, VI = H(quarters) - H(halves) = log 2.
    quarters = np.array([[0, 1, 2, 3]])
    assert variation_of_information(halves, quarters) == pytest.approx(math.log(2))
    # Crossing halves: independent, VI = 2 log 2.
    crossed = np.array([[0, 1, 0, 1]])
    assert variation_of_information(halves, crossed) == pytest.approx(2 * math.log(2))
    with pytest.raises(ValueError):
        variation_of_information(halves, quarters.T)


def test_medoid_of_hand_made_maps():
    """Halves (twice, once under other label names) and a crossing map: a copy of the halves
    is the medoid (the first), at mean VI (0 + 0 + 2 log 2) / 3; the crossing map is at 2 log 2
    from each."""
    halves = np.array([[0, 0, 1, 1]])
    crossed = np.array([[0, 1, 0, 1]])
    index, mean_vi = medoid([crossed, halves, 5 - halves, halves])
    assert index == 1
    assert mean_vi == pytest.approx([2 * math.log(2)] + [2 * math.log(2) / 3] * 3)


def test_medoid_is_the_middle_of_a_chain():
    """Maps one pixel apart in a chain, plus an outlier: the middle one is the medoid."""
    base = np.repeat(np.array([[0, 0, 1, 1, 2, 2]]), 4, 0)
    one_off = base.copy()
    one_off[0, 1] = 1
    two_off = one_off.copy()
    two_off[3, 4] = 1
    outlier = np.arange(24).reshape(4, 6) % 2
    index, mean_vi = medoid([two_off, outlier, one_off, base])
    assert index == 2
    assert mean_vi[1] == max(mean_vi)


def test_medoid_ties_and_single_map():
    a, b = np.array([[0, 1]]), np.array([[0, 0]])
    assert medoid([a, b])[0] == 0  # two maps are each other's medoid: the first wins
    assert medoid([a]) == (0, [0.0])
    with pytest.raises(ValueError):
        medoid([])


def test_consensus_settings():
    assert Consensus(seeds=3).seeds_from(5) == [5, 6, 7]
    with pytest.raises(ValueError, match='seeds'):
        Consensus(seeds=0)
    with pytest.raises(ValueError, match='rule'):
        Consensus(rule='mean')
