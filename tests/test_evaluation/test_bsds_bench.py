"""BSDS500 region benchmarks: hand-computed PRI / VOI / covering and the MATLAB bench's goldens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io
from conftest import require_data
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dynaseg.evaluation.functional import (
    covering_counts,
    image_region_scores,
    load_bsds_ground_truth,
    probabilistic_rand_index,
    rand_index_and_voi,
    region_benchmark,
    variation_of_information,
)

BENCH_IDS = ('2018', '3063', '5096', '6046', '8068')


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


def _golden(path: Path) -> np.ndarray:
    return np.loadtxt(path, ndmin=2)


@pytest.fixture(scope='module')
def bench_result() -> dict:
    root = require_data('bsds500', 'bench_reference')
    segs = [list(scipy.io.loadmat(root / 'segs' / f'{i}.mat')['segs'][0]) for i in BENCH_IDS]
    gts = [load_bsds_ground_truth(root / 'groundTruth' / f'{i}.mat') for i in BENCH_IDS]
    return region_benchmark(segs, gts)


@pytest.mark.parametrize('test_dir', ['test_4', 'test_5'])
def test_matches_matlab_bench_golden_files(bench_result: dict, test_dir: str) -> None:
    golden = require_data('bsds500', 'bench_reference', test_dir)
    # The bench writes every intermediate file with %g (6 significant digits) and reads it
    # back, so its covering carries rounding of about 1e-6 relative; RI/VOI less so.
    ri_voi = _golden(golden / 'eval_RI_VOI.txt')[
        0
    ]  # thrRI, ODS PRI, OIS PRI, thrVOI, ODS VOI, OIS VOI
    assert bench_result['pri_ods_threshold'] == ri_voi[0]
    assert bench_result['voi_ods_threshold'] == ri_voi[3]
    np.testing.assert_allclose(
        [bench_result[k] for k in ('pri_ods', 'pri_ois', 'voi_ods', 'voi_ois')],
        ri_voi[[1, 2, 4, 5]],
        atol=5e-6,
    )
    thr = _golden(golden / 'eval_RI_VOI_thr.txt')  # threshold, PRI, VOI
    np.testing.assert_allclose(bench_result['pri_per_threshold'], thr[:, 1], atol=5e-6)
    np.testing.assert_allclose(bench_result['voi_per_threshold'], thr[:, 2], atol=5e-6)

    cover = _golden(golden / 'eval_cover.txt')[0]  # ODS threshold, ODS, OIS, best
    assert bench_result['covering_ods_threshold'] == cover[0]
    np.testing.assert_allclose(
        [bench_result[k] for k in ('covering_ods', 'covering_ois', 'covering_best')],
        cover[1:],
        atol=2e-6,
    )
    cover_thr = _golden(golden / 'eval_cover_th.txt')  # threshold, covering
    np.testing.assert_allclose(bench_result['covering_per_threshold'], cover_thr[:, 1], atol=2e-6)
    per_image = _golden(golden / 'eval_cover_img.txt')  # image, best threshold, R, P
    ours = np.array(bench_result['covering_per_image'])
    np.testing.assert_array_equal(ours[:, 0], per_image[:, 1])
    np.testing.assert_allclose(ours[:, 1:], per_image[:, 2:], atol=3e-6)
