"""The BSDS500 boundary benchmark: precision / recall of boundary pixels, F at ODS and OIS, and AP.

Written from the benchmark's ``evaluation_bdry_image.m`` and ``collect_eval_bdry.m``
(Arbeláez et al., TPAMI 2011); the pixel matching is the benchmark's own C++ correspondence
code (``correspondPixels``) as pyEdgeEval compiles it, not a rewrite.

Per image and threshold the benchmark counts, over the image's human annotations:

- ``cnt_r`` / ``sum_r``: annotated boundary pixels matched by the machine / all of them,
  summed over the annotations (recall = cnt_r / sum_r);
- ``cnt_p`` / ``sum_p``: machine boundary pixels matched by any annotation / all of them
  (precision = cnt_p / sum_p).

Two pixels match when they lie within ``max_dist`` times the image diagonal (0.0075 by
default); every machine map is thinned first (``bwmorph(..., 'thin', inf)``).

The matching draws random outlier edges (the benchmark's ``Random`` is seeded from the clock),
so two runs on one input may differ by a few pixels: the MATLAB benchmark's own ``test_3`` and
``test_4`` reference outputs, the same segmentations scored twice, differ by up to 4e-4 in
precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .bsds_bench import bench_ratio

#: Matching distance as a fraction of the image diagonal, the benchmark's default.
DEFAULT_MAX_DIST = 0.0075


def segmentation_boundaries(seg: np.ndarray) -> np.ndarray:
    """Boundaries of a label map at image size, as the benchmark's ``seg2bdry(seg, 'imageSize')``.

    The benchmark draws the label changes on the double-resolution grid, marks a junction
    where any of its four edges is a boundary, and keeps the junction cells: pixel (i, j) is a
    boundary pixel when the labels differ across any edge that meets at its lower-right
    corner. The last row (column) keeps only the changes along it.

    Args:
        seg: (H, W) integer labels.

    Returns:
        (H, W) bool boundary map.
    """
    seg = np.asarray(seg)
    if seg.ndim != 2:
        raise ValueError(f'a label map must be 2-D, got shape {seg.shape}')
    # Label changes to the next row / column; the last row / column has none.
    down = np.zeros(seg.shape, bool)
    down[:-1] = seg[:-1] != seg[1:]
    right = np.zeros(seg.shape, bool)
    right[:, :-1] = seg[:, :-1] != seg[:, 1:]
    bdry = np.zeros(seg.shape, bool)
    # Junction below-right of pixel (i, j): the four edges that meet there.
    bdry[:-1, :-1] = down[:-1, :-1] | down[:-1, 1:] | right[:-1, :-1] | right[1:, :-1]
    # The benchmark copies the frame from its inner neighbour: the last row of junctions
    # becomes the vertical edges of the last image row, the last column the horizontal ones.
    bdry[-1, :-1] = right[-1, :-1]
    bdry[:-1, -1] = down[:-1, -1]
    return bdry


def thin_boundaries(bmap: np.ndarray) -> np.ndarray:
    """Thin a binary boundary map to one-pixel width, as ``bwmorph(bmap, 'thin', inf)`` does.

    Args:
        bmap: (H, W) binary map.

    Returns:
        (H, W) bool map.
    """
    from pyEdgeEval.preprocess import binary_thin

    return np.asarray(binary_thin(np.asarray(bmap, bool)), bool)


def boundary_counts(
    bmap: np.ndarray,
    gt_boundaries: Sequence[np.ndarray],
    max_dist: float = DEFAULT_MAX_DIST,
    thin: bool = True,
) -> tuple[int, int, int, int]:
    """Match one machine boundary map against every annotation of its image.

    Args:
        bmap: (H, W) binary machine boundaries.
        gt_boundaries: the annotations' (H, W) binary boundary maps.
        max_dist: matching distance as a fraction of the image diagonal.
        thin: thin ``bmap`` first, as the benchmark does by default.

    Returns:
        (cnt_r, sum_r, cnt_p, sum_p) as described in the module docstring.
    """
    from pyEdgeEval._lib import correspond_pixels

    bmap = np.asarray(bmap, bool)
    if thin:
        bmap = thin_boundaries(bmap)
    cnt_r = sum_r = 0
    matched_machine = np.zeros(bmap.shape, bool)
    machine = bmap.astype(np.float64)
    for gt in gt_boundaries:
        gt = np.asarray(gt)
        if gt.shape != bmap.shape:
            raise ValueError(f'boundary map {bmap.shape} and annotation {gt.shape} differ in size')
        match_machine, match_gt, _, _ = correspond_pixels(
            machine, gt.astype(np.float64), max_dist=max_dist
        )
        matched_machine |= match_machine > 0
        sum_r += int(np.count_nonzero(gt))
        cnt_r += int(np.count_nonzero(match_gt > 0))
    return cnt_r, sum_r, int(np.count_nonzero(matched_machine)), int(np.count_nonzero(bmap))


def f_measure(recall: Any, precision: Any) -> Any:
    """Harmonic mean of recall and precision, 0 where both are 0 (the benchmark's ``fmeasure``)."""
    r, p = np.asarray(recall, np.float64), np.asarray(precision, np.float64)
    total = p + r
    return 2 * p * r / (total + (total == 0))


def interpolated_max_f(
    thresholds: np.ndarray, recall: np.ndarray, precision: np.ndarray
) -> tuple[float, float, float, float]:
    """The benchmark's ``maxF``: the best F on the piecewise-linear recall/precision curve.

    Between consecutive thresholds recall, precision and threshold are interpolated at 100
    evenly spaced points (``linspace(0, 1)``); the first strictly best point wins.

    Args:
        thresholds: (T,) thresholds.
        recall: (T,) recall at each threshold.
        precision: (T,) precision at each threshold.

    Returns:
        (threshold, recall, precision, F) at the best point.
    """
    t, r, p = (np.asarray(a, np.float64) for a in (thresholds, recall, precision))
    best = (float(t[0]), float(r[0]), float(p[0]), float(f_measure(r[0], p[0])))
    if t.size < 2:
        return best
    d = np.linspace(0, 1, 100)[None, :]
    # (T-1, 100) points on each segment, in the benchmark's loop order.
    ts = t[1:, None] * d + t[:-1, None] * (1 - d)
    rs = r[1:, None] * d + r[:-1, None] * (1 - d)
    ps = p[1:, None] * d + p[:-1, None] * (1 - d)
    fs = f_measure(rs, ps).ravel()
    k = int(np.argmax(fs))
    if fs[k] > best[3]:
        best = (float(ts.ravel()[k]), float(rs.ravel()[k]), float(ps.ravel()[k]), float(fs[k]))
    return best


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """The benchmark's AP: precision interpolated linearly in recall at 0, 0.01, ..., 1.

    As ``collect_eval_bdry.m``: recall values are made unique (the first threshold of equal
    recalls keeps its precision), precision outside the recall range counts 0, and the 101
    samples are summed times 0.01. A curve with one distinct recall has AP 0.

    Args:
        recall: (T,) dataset recall per threshold.
        precision: (T,) dataset precision per threshold.

    Returns:
        AP in [0, 1.01].
    """
    r_unique, first = np.unique(np.asarray(recall, np.float64), return_index=True)
    if r_unique.size < 2:
        return 0.0
    p_unique = np.asarray(precision, np.float64)[first]
    samples = np.interp(np.linspace(0, 1, 101), r_unique, p_unique, left=0.0, right=0.0)
    return float(samples.sum() * 0.01)


def summarise_boundaries(
    thresholds: np.ndarray,
    cnt_r: np.ndarray,
    sum_r: np.ndarray,
    cnt_p: np.ndarray,
    sum_p: np.ndarray,
) -> dict[str, Any]:
    """ODS, OIS and AP of per-image, per-threshold boundary counts (``collect_eval_bdry.m``).

    Args:
        thresholds: (T,) thresholds shared by every image.
        cnt_r, sum_r, cnt_p, sum_p: (N, T) counts, one row per image.

    Returns:
        ``ods`` (threshold, recall, precision, f: the best point of the dataset curve,
        interpolated), ``ois`` (recall, precision, f from the counts at each image's best
        threshold, the first of equal F, not interpolated), ``ap``, ``per_threshold``
        ((T, 4) rows threshold, R, P, F) and ``per_image`` ((N, 4) rows threshold, R, P, F at
        each image's interpolated best point), as plain lists and floats.
    """
    t = np.asarray(thresholds, np.float64)
    counts = [np.asarray(a, np.float64).reshape(-1, t.size) for a in (cnt_r, sum_r, cnt_p, sum_p)]
    rec, prec = bench_ratio(counts[0], counts[1]), bench_ratio(counts[2], counts[3])
    per_image = [interpolated_max_f(t, r, p) for r, p in zip(rec, prec)]
    best = np.argmax(f_measure(rec, prec), axis=1)
    rows = np.arange(best.size)
    ois = [c[rows, best].sum() for c in counts]
    ois_r, ois_p = float(bench_ratio(ois[0], ois[1])), float(bench_ratio(ois[2], ois[3]))
    totals = [c.sum(axis=0) for c in counts]
    rec_t, prec_t = bench_ratio(totals[0], totals[1]), bench_ratio(totals[2], totals[3])
    ods = interpolated_max_f(t, rec_t, prec_t)
    return {
        'ods': dict(zip(('threshold', 'recall', 'precision', 'f'), ods)),
        'ois': {'recall': ois_r, 'precision': ois_p, 'f': float(f_measure(ois_r, ois_p))},
        'ap': average_precision(rec_t, prec_t),
        'per_threshold': np.stack([t, rec_t, prec_t, f_measure(rec_t, prec_t)], 1).tolist(),
        'per_image': [list(row) for row in per_image],
    }
