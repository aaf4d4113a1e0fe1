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
    pairs = np.array([rand_index_and_voi(seg, g) for g in gts])
    counts = covering_counts(seg, gts)
    return {
        'pri': float(pairs[:, 0].mean()),
        'voi': float(pairs[:, 1].mean()),
        **{k: counts[k] for k in ('cnt_r', 'sum_r', 'cnt_p', 'sum_p')},
    }


def region_benchmark(
    segs_per_image: Sequence[Sequence[np.ndarray]], gts_per_image: Sequence[Sequence[np.ndarray]]
) -> dict[str, Any]:
    """Run the BSDS500 region benchmark on a set of images.

    Every image must supply the same number T of candidate segmentations
    ("thresholds" 1..T in the benchmark's output).

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
    ri = np.zeros((len(segs_per_image), num_thr))
    voi = np.zeros_like(ri)
    cnt_r, sum_r, cnt_p, sum_p = (np.zeros_like(ri) for _ in range(4))
    best_total = 0.0
    for i, (segs, gts) in enumerate(zip(segs_per_image, gts_per_image)):
        gt_best = None
        for t, seg in enumerate(segs):
            pairs = np.array([rand_index_and_voi(seg, g) for g in gts])
            ri[i, t], voi[i, t] = pairs.mean(axis=0)
            counts = covering_counts(seg, gts)
            cnt_r[i, t], sum_r[i, t] = counts['cnt_r'], counts['sum_r']
            cnt_p[i, t], sum_p[i, t] = counts['cnt_p'], counts['sum_p']
            gt_best = (
                counts['gt_best'] if gt_best is None else np.maximum(gt_best, counts['gt_best'])
            )
        # "Best" covering: every annotation region keeps its best overlap over all thresholds.
        best_total += float(counts['gt_area'] @ gt_best)

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a / np.where(b == 0, 1, b)

    thresholds = np.arange(1, num_thr + 1)
    cover_r = ratio(cnt_r, sum_r)
    cover_p = ratio(cnt_p, sum_p)
    # Per image, ties go to the first threshold reaching the best covering.
    img_best = cover_r.argmax(axis=1)
    rows = np.arange(len(img_best))
    # OIS covering sums the counts at each image's last best threshold (ties -> last).
    img_best_last = num_thr - 1 - cover_r[:, ::-1].argmax(axis=1)
    ois_cover = cnt_r[rows, img_best_last].sum() / max(sum_r[rows, img_best_last].sum(), 1)
    cover_thr = ratio(cnt_r.sum(axis=0), sum_r.sum(axis=0))
    pri_thr = ri.mean(axis=0)
    voi_thr = voi.mean(axis=0)
    return {
        'pri_ods': float(pri_thr.max()),
        'pri_ods_threshold': int(thresholds[pri_thr.argmax()]),
        'pri_ois': float(ri.max(axis=1).mean()),
        'voi_ods': float(voi_thr.min()),
        'voi_ods_threshold': int(thresholds[voi_thr.argmin()]),
        'voi_ois': float(voi.min(axis=1).mean()),
        'covering_ods': float(cover_thr.max()),
        'covering_ods_threshold': int(thresholds[cover_thr.argmax()]),
        'covering_ois': float(ois_cover),
        'covering_best': float(best_total / max(sum_r[:, 0].sum(), 1)),
        'num_images': len(segs_per_image),
        'pri_per_threshold': pri_thr.tolist(),
        'voi_per_threshold': voi_thr.tolist(),
        'covering_per_threshold': cover_thr.tolist(),
        'covering_per_image': [
            (int(thresholds[t]), float(cover_r[i, t]), float(cover_p[i, t]))
            for i, t in enumerate(img_best)
        ],
    }
