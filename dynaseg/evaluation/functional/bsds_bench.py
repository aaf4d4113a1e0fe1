"""BSDS500 region benchmarks: probabilistic Rand index, variation of information, covering.

Written from the definitions used by the BSDS500 MATLAB benchmark (Arbeláez et al.,
TPAMI 2011), so its numbers are comparable:

- PRI: the Rand index of the segmentation against each human annotation, averaged
  over the annotations.
- VOI: ``H(S) + H(G) - 2 I(S, G)`` in bits, averaged over the annotations.
- Covering of the ground truth by a segmentation: every region of every annotation
  contributes its area times its best Jaccard overlap with a segmentation region,
  divided by the total annotated area. Label 0 is "unlabelled" and never a region.

A "segmentation set" is what the benchmark calls thresholds: several candidate
segmentations of one image (e.g. a hierarchy cut at several levels). ODS picks one
threshold for the whole dataset, OIS the best threshold per image.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def contingency(seg: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Joint histogram of two label maps.

    Args:
        seg: (H, W) non-negative integer labels.
        gt: (H, W) non-negative integer labels.

    Returns:
        (max(seg)+1, max(gt)+1) int64 counts; entry (i, j) = #pixels with seg i and gt j.
    """
    seg = np.asarray(seg, np.int64).ravel()
    gt = np.asarray(gt, np.int64).ravel()
    if seg.shape != gt.shape:
        raise ValueError(f'seg and gt differ in size: {seg.size} vs {gt.size}')
    if seg.size and (seg.min() < 0 or gt.min() < 0):
        raise ValueError('labels must be non-negative')
    rows, cols = int(seg.max()) + 1, int(gt.max()) + 1
    return np.bincount(seg * cols + gt, minlength=rows * cols).reshape(rows, cols)


def rand_index_and_voi(seg: np.ndarray, gt: np.ndarray) -> tuple[float, float]:
    """Rand index and variation of information (bits) between two label maps.

    Every label value, 0 included, is a cluster here, as in the benchmark.

    Args:
        seg: (H, W) integer labels.
        gt: (H, W) integer labels.

    Returns:
        (ri, voi): ri in [0, 1], voi >= 0.
    """
    seg = np.asarray(seg)
    gt = np.asarray(gt)
    if seg.shape != gt.shape:
        raise ValueError(f'seg and gt differ in shape: {seg.shape} vs {gt.shape}')
    # Shift to non-negative ids; only co-occurrence counts matter.
    table = contingency(seg - seg.min(), gt - gt.min()).astype(np.float64)
    n = table.sum()
    rows = table.sum(axis=1)
    cols = table.sum(axis=0)
    # Disagreeing pairs = pairs joined in one map but split in the other.
    disagree = (rows @ rows) / 2 + (cols @ cols) / 2 - (table * table).sum()
    ri = 1.0 - disagree / (n * (n - 1) / 2) if n > 1 else 1.0

    joint = table / n
    p_row, p_col = rows / n, cols / n
    h_row = -np.sum(p_row[p_row > 0] * np.log2(p_row[p_row > 0]))
    h_col = -np.sum(p_col[p_col > 0] * np.log2(p_col[p_col > 0]))
    nz = joint > 0
    outer = np.outer(p_row, p_col)
    mutual = np.sum(joint[nz] * np.log2(joint[nz] / outer[nz]))
    return float(ri), float(max(h_row + h_col - 2 * mutual, 0.0))


def probabilistic_rand_index(seg: np.ndarray, gts: Sequence[np.ndarray]) -> float:
    """PRI: mean Rand index of ``seg`` against each annotation in ``gts`` (each (H, W))."""
    return float(np.mean([rand_index_and_voi(seg, g)[0] for g in gts]))


def variation_of_information(seg: np.ndarray, gts: Sequence[np.ndarray]) -> float:
    """Mean variation of information (bits) of ``seg`` against each annotation (each (H, W))."""
    return float(np.mean([rand_index_and_voi(seg, g)[1] for g in gts]))


def region_jaccard(seg: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Jaccard overlap of every region of ``seg`` with every region of ``gt``.

    Regions are labels 1..max; label 0 pixels belong to no region but still count in
    the other map's region areas (as in the benchmark).

    Args:
        seg: (H, W) non-negative integer labels.
        gt: (H, W) non-negative integer labels.

    Returns:
        (max(seg), max(gt)) float64 overlaps; 0 where both regions are empty.
    """
    table = contingency(seg, gt).astype(np.float64)
    seg_area = table.sum(axis=1, keepdims=True)
    gt_area = table.sum(axis=0, keepdims=True)
    union = seg_area + gt_area - table
    jaccard = np.divide(table, union, out=np.zeros_like(table), where=union > 0)
    return jaccard[1:, 1:]


def covering_counts(seg: np.ndarray, gts: Sequence[np.ndarray]) -> dict[str, Any]:
    """Area-weighted best overlaps of one segmentation with an image's annotations.

    Args:
        seg: (H, W) non-negative integer labels (regions 1..max).
        gts: annotations, each (H, W) with regions 1..max.

    Returns:
        dict with ``cnt_r``/``sum_r`` (ground truth covered by seg: weighted best
        overlaps and total region area, summed over annotations), ``cnt_p``/``sum_p``
        (seg covered by the ground truth) and ``gt_best`` ((R,) best overlap of each
        annotation region, annotations concatenated) and ``gt_area`` ((R,) areas).
    """
    seg = np.asarray(seg, np.int64)
    jaccards = [region_jaccard(seg, g) for g in gts]
    seg_area = np.bincount(seg.ravel(), minlength=int(seg.max()) + 1)[1:].astype(np.float64)
    # Best overlap of each seg region with any region of any annotation.
    seg_best = np.max(np.concatenate(jaccards, axis=1), axis=1) if seg_area.size else np.zeros(0)
    gt_best = np.concatenate(
        [j.max(axis=0) if j.shape[0] else np.zeros(j.shape[1]) for j in jaccards]
    )
    gt_area = np.concatenate(
        [
            np.bincount(np.asarray(g, np.int64).ravel(), minlength=int(np.max(g)) + 1)[1:]
            for g in gts
        ]
    ).astype(np.float64)
    return {
        'cnt_r': float(gt_area @ gt_best),
        'sum_r': float(gt_area.sum()),
        'cnt_p': float(seg_area @ seg_best),
        'sum_p': float(seg_area.sum()),
        'gt_best': gt_best,
        'gt_area': gt_area,
    }


def image_region_scores(seg: np.ndarray, gts: Sequence[np.ndarray]) -> dict[str, float]:
    """PRI, VOI and covering counts of one segmentation of one image.

    Args:
        seg: (H, W) labels; for covering, regions are labels 1..max (0 is unlabelled).
        gts: the image's annotations, each (H, W).

    Returns:
        ``pri``, ``voi`` and the covering counts ``cnt_r``, ``sum_r``, ``cnt_p``, ``sum_p``
        (see :func:`covering_counts`), all plain floats.
    """
    return _scores_and_overlaps(seg, gts)[0]


def _scores_and_overlaps(
    seg: np.ndarray, gts: Sequence[np.ndarray]
) -> tuple[dict[str, float], dict[str, Any]]:
    """:func:`image_region_scores` and the :func:`covering_counts` they were made from."""
    pairs = np.array([rand_index_and_voi(seg, g) for g in gts])
    counts = covering_counts(seg, gts)
    scores = {
        'pri': float(pairs[:, 0].mean()),
        'voi': float(pairs[:, 1].mean()),
        **{k: counts[k] for k in ('cnt_r', 'sum_r', 'cnt_p', 'sum_p')},
    }
    return scores, counts


def summarise_regions(
    thresholds: np.ndarray,
    counts: dict[str, np.ndarray],
) -> dict[str, Any]:
    """ODS and OIS of per-image, per-threshold region scores, as ``collect_eval_reg.m`` does.

    Args:
        thresholds: (T,) thresholds shared by every image.
        counts: (N, T) arrays ``cnt_r``, ``sum_r``, ``cnt_p``, ``sum_p`` (covering counts,
            see :func:`covering_counts`), ``pri`` and ``voi``, and (N,) ``cnt_r_best`` (each
            annotation region's best overlap over all thresholds, weighted by its area).

    Returns:
        ``covering``: ``ods`` (threshold, value), ``ois`` (counts at each image's last best
        threshold), ``best`` (per annotation region, the best threshold), ``per_threshold``
        ((T, 2) rows threshold, covering) and ``per_image`` ((N, 3) rows threshold, covering,
        reverse covering at the image's first best threshold); ``pri`` and ``voi``: ``ods``
        (threshold, value: the best mean over images), ``ois`` (the mean of each image's
        best) and ``per_threshold`` ((T, 2)). Ties go to the first threshold, as MATLAB's max.
    """
    t = np.asarray(thresholds, np.float64)
    c = {k: np.asarray(counts[k], np.float64).reshape(-1, t.size) for k in _REGION_SERIES}
    cover_r = bench_ratio(c['cnt_r'], c['sum_r'])
    cover_p = bench_ratio(c['cnt_p'], c['sum_p'])
    first_best = cover_r.argmax(axis=1)
    last_best = t.size - 1 - cover_r[:, ::-1].argmax(axis=1)
    rows = np.arange(first_best.size)
    cover_t = bench_ratio(c['cnt_r'].sum(axis=0), c['sum_r'].sum(axis=0))
    pri_t, voi_t = c['pri'].mean(axis=0), c['voi'].mean(axis=0)
    best_total = float(np.sum(counts['cnt_r_best']))
    return {
        'covering': {
            'ods': {'threshold': float(t[cover_t.argmax()]), 'value': float(cover_t.max())},
            'ois': float(
                bench_ratio(c['cnt_r'][rows, last_best].sum(), c['sum_r'][rows, last_best].sum())
            ),
            'best': float(bench_ratio(best_total, c['sum_r'][:, 0].sum())),
            'per_threshold': np.stack([t, cover_t], 1).tolist(),
            'per_image': np.stack(
                [t[first_best], cover_r[rows, first_best], cover_p[rows, first_best]], 1
            ).tolist(),
        },
        'pri': {
            'ods': {'threshold': float(t[pri_t.argmax()]), 'value': float(pri_t.max())},
            'ois': float(c['pri'].max(axis=1).mean()),
            'per_threshold': np.stack([t, pri_t], 1).tolist(),
        },
        'voi': {
            'ods': {'threshold': float(t[voi_t.argmin()]), 'value': float(voi_t.min())},
            'ois': float(c['voi'].min(axis=1).mean()),
            'per_threshold': np.stack([t, voi_t], 1).tolist(),
        },
    }


def region_series(segs: Sequence[np.ndarray], gts: Sequence[np.ndarray]) -> dict[str, Any]:
    """Region scores of one image's candidate segmentations (``evaluation_reg_image.m``).

    Args:
        segs: T segmentations of the image, each (H, W) with regions 1..max (0 unlabelled).
        gts: the image's annotations, each (H, W).

    Returns:
        (T,) lists ``cnt_r``, ``sum_r``, ``cnt_p``, ``sum_p``, ``pri``, ``voi`` and
        ``regions`` (each segmentation's region count), and the float ``cnt_r_best``.
    """
    series: dict[str, Any] = {k: [] for k in (*_REGION_SERIES, 'regions')}
    gt_best = None
    for seg in segs:
        seg = np.asarray(seg, np.int64)
        scores, counts = _scores_and_overlaps(seg, gts)
        for key in _REGION_SERIES:
            series[key].append(scores[key])
        series['regions'].append(int(np.count_nonzero(np.bincount(seg.ravel())[1:])))
        gt_best = counts['gt_best'] if gt_best is None else np.maximum(gt_best, counts['gt_best'])
    # "Best" covering: every annotation region keeps its best overlap over all thresholds.
    series['cnt_r_best'] = float(counts['gt_area'] @ gt_best) if segs else 0.0
    return series


def region_benchmark(
    segs_per_image: Sequence[Sequence[np.ndarray]], gts_per_image: Sequence[Sequence[np.ndarray]]
) -> dict[str, Any]:
    """Run the BSDS500 region benchmark on a set of images (segmentation sets, thresholds 1..T).

    Args:
        segs_per_image: per image, T segmentations, each (H, W) with regions 1..max.
        gts_per_image: per image, its human annotations, each (H, W).

    Returns:
        dict of plain floats: ``pri_ods``, ``pri_ods_threshold``, ``pri_ois``,
        ``voi_ods``, ``voi_ods_threshold``, ``voi_ois``, ``covering_ods``,
        ``covering_ods_threshold``, ``covering_ois``, ``covering_best`` and
        ``num_images``; plus lists ``pri_per_threshold``, ``voi_per_threshold``,
        ``covering_per_threshold`` ((T,) dataset values) and ``covering_per_image``
        (per image: best threshold, its covering and its reverse covering).
    """
    if len(segs_per_image) != len(gts_per_image) or not segs_per_image:
        raise ValueError('need one non-empty list of segmentations and of annotations per image')
    num_thr = len(segs_per_image[0])
    if any(len(s) != num_thr for s in segs_per_image):
        raise ValueError('every image must have the same number of candidate segmentations')
    series = [region_series(segs, gts) for segs, gts in zip(segs_per_image, gts_per_image)]
    counts = {k: np.array([s[k] for s in series]) for k in (*_REGION_SERIES, 'cnt_r_best')}
    summary = summarise_regions(np.arange(1, num_thr + 1), counts)
    result: dict[str, Any] = {'num_images': len(series)}
    for metric in ('pri', 'voi', 'covering'):
        ods = summary[metric]['ods']
        result[f'{metric}_ods'] = ods['value']
        result[f'{metric}_ods_threshold'] = int(ods['threshold'])
        result[f'{metric}_ois'] = summary[metric]['ois']
        result[f'{metric}_per_threshold'] = [v for _, v in summary[metric]['per_threshold']]
    result['covering_best'] = summary['covering']['best']
    result['covering_per_image'] = [(int(t), r, p) for t, r, p in summary['covering']['per_image']]
    return result


#: The per-threshold series of a region record, in the benchmark's order.
_REGION_SERIES = ('cnt_r', 'sum_r', 'cnt_p', 'sum_p', 'pri', 'voi')


def bench_ratio(count: Any, total: Any) -> Any:
    """``count / total`` with 0 where ``total`` is 0, as the benchmark divides."""
    count, total = np.asarray(count, np.float64), np.asarray(total, np.float64)
    return count / (total + (total == 0))
