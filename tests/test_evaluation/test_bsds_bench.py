"""BSDS500 region benchmarks: hand-computed PRI / VOI / covering (the MATLAB bench's reference
outputs are reproduced in test_bsds_golden.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dynaseg.evaluation.functional import (
    covering_counts,
    image_region_scores,
    probabilistic_rand_index,
    rand_index_and_voi,
    variation_of_information,
)


def test_rand_index_and_voi_hand_computed() -> None:
    seg = np.array([[1, 1, 2, 2]])
    gt = np.array([[1, 1, 1, 2]])
    # 6 pixel pairs; they disagree on (p1,p3), (p2,p3) (split in seg, joined in gt) and
    # (p3,p4) (joined in seg, split in gt): RI = 1 - 3/6 = 0.5.
    # VOI = H(S) + H(G) - 2I. H(S) = 1 bit; H(G) = -(3/4 log2 3/4 + 1/4 log2 1/4) = 0.811278;
    # H(S|G) = 3/4 * H(2/3, 1/3) = 3/4 * 0.918296 = 0.688722 and I = H(S) - H(S|G) = 0.311278,
    # so VOI = 1 + 0.811278 - 0.622556 = 1.188722.
    ri, voi = rand_index_and_voi(seg, gt)
    assert ri == pytest.approx(0.5)
    assert voi == pytest.approx(1.188722, abs=1e-6)
    assert rand_index_and_voi(gt, gt) == (1.0, 0.0)
    # PRI / VOI average over annotations: against [gt, seg] they are (0.5 + 1) / 2 and voi / 2.
    assert probabilistic_rand_index(seg, [gt, seg]) == pytest.approx(0.75)
    assert variation_of_information(seg, [gt, seg]) == pytest.approx(voi / 2)


def test_covering_hand_computed() -> None:
    seg = np.array([[1, 1, 2, 2]])
    gt = np.array([[1, 1, 1, 2]])
    # gt region 1 (3 px): best Jaccard with seg 1 = 2/3; gt region 2 (1 px): with seg 2 = 1/2.
    # covering R = (3 * 2/3 + 1 * 1/2) / 4 = 0.625.
    # seg region 1 (2 px): best 2/3; seg region 2 (2 px): best 1/2 -> P = (4/3 + 1) / 4.
    counts = covering_counts(seg, [gt])
    assert counts['cnt_r'] / counts['sum_r'] == pytest.approx(0.625)
    assert counts['cnt_p'] / counts['sum_p'] == pytest.approx((4 / 3 + 1) / 4)


def test_covering_label_zero_is_unlabelled() -> None:
    seg = np.array([[0, 1, 1, 1]])
    gt = np.array([[1, 1, 2, 2]])
    # seg region 1 (3 px) vs gt 1: inter 1, union 4 -> 1/4; vs gt 2: 2/3. The 0 pixel is in no
    # seg region but still in gt 1's area. R = (2 * 1/4 + 2 * 2/3) / 4.
    counts = covering_counts(seg, [gt])
    assert counts['cnt_r'] / counts['sum_r'] == pytest.approx((0.5 + 4 / 3) / 4)
    assert counts['sum_p'] == 3


@settings(max_examples=60, deadline=None)
@given(
    pair=st.tuples(st.integers(1, 8), st.integers(2, 8)).flatmap(
        lambda shape: st.tuples(
            arrays(np.int64, shape, elements=st.integers(1, 4)),
            arrays(np.int64, shape, elements=st.integers(1, 4)),
        )
    ),
    seed=st.integers(0, 2**16),
)
def test_region_properties(pair: tuple[np.ndarray, np.ndarray], seed: int) -> None:
    seg, gt = pair
    scores = image_region_scores(seg, [gt])
    assert 0 <= scores['pri'] <= 1 and scores['voi'] >= 0
    assert 0 <= scores['cnt_r'] / scores['sum_r'] <= 1
    # RI and VOI are symmetric and invariant to renaming labels.
    perm = np.random.default_rng(seed).permutation(5) + 1
    renamed = image_region_scores(perm[seg], [gt])
    assert renamed['pri'] == pytest.approx(scores['pri'])
    assert renamed['voi'] == pytest.approx(scores['voi'])
    assert renamed['cnt_r'] == pytest.approx(scores['cnt_r'])
    swapped = rand_index_and_voi(gt, seg)
    assert swapped == pytest.approx((scores['pri'], scores['voi']))
    perfect = image_region_scores(gt, [gt])
    assert perfect['pri'] == 1.0 and perfect['voi'] == pytest.approx(0.0, abs=1e-12)
    assert perfect['cnt_r'] == perfect['sum_r']
