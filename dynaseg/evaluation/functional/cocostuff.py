"""COCO-Stuff-27 scoring of unsupervised label maps: Hungarian matching of clusters to classes.

Three protocols, each a separate function, never mixed in one table:

- ``'dataset'`` (a, PiCIE/STEGO): one (clusters x 27) confusion summed over the set,
  one Hungarian match, IoU from the matched totals.
- ``'per_image'`` (b, DynaSeg): a Hungarian match per image, per-image mIoU over the
  classes present in that image's ground truth, averaged over images.
- ``'per_image_summed'`` (c, DiffSeg): a Hungarian match per image, TP/FP/FN summed
  over the set, IoU from the totals.

In every protocol a cluster left without a class (more clusters than classes) is
wrong everywhere: its pixels are false negatives of their true class and no class's
true positives. Thing / stuff numbers are means over the thing (0-11) / stuff (12-26)
classes after the match, i.e. in class space. Scores are fractions in [0, 1].
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

NUM_CLASSES = 27
IGNORE_INDEX = 255
# The mapping is data shipped with the package (see setup.py package_data).
_META_FILE = Path(__file__).resolve().parents[2] / 'datasets' / 'cocostuff27.json'

#: One image's confusion: (cluster ids (K,), counts (K, 27)).
ImageConfusion = tuple[np.ndarray, np.ndarray]
PROTOCOLS = ('dataset', 'per_image', 'per_image_summed')


@lru_cache(maxsize=1)
def cocostuff27_meta() -> dict:
    """Names and the fine -> coarse mapping of COCO-Stuff-27.

    Returns:
        dict with ``coarse_names`` (27), ``fine_names`` (182), ``num_things`` (12) and
        ``fine_index_to_coarse_index`` (182 ints).
    """
    with open(_META_FILE, encoding='utf-8') as f:
        return json.load(f)


def thing_class_mask() -> np.ndarray:
    """(27,) bool, True for the 12 thing classes (coarse ids 0-11)."""
    mask = np.zeros(NUM_CLASSES, bool)
    mask[: cocostuff27_meta()['num_things']] = True
    return mask


def fine_to_coarse(fine: np.ndarray) -> np.ndarray:
    """Map a stuffthingmaps label map (COCO-Stuff id - 1, 255 unlabelled) to the 27 classes.

    Args:
        fine: (H, W) integer map with values 0..181 or 255.

    Returns:
        (H, W) uint8 map with values 0..26, and 255 where the input was 255.
    """
    fine = np.asarray(fine)
    lut = np.full(256, IGNORE_INDEX, np.uint8)
    lut[:182] = cocostuff27_meta()['fine_index_to_coarse_index']
    bad = (fine < 0) | (fine > 255) | ((fine >= 182) & (fine != IGNORE_INDEX))
    if np.any(bad):
        raise ValueError(
            f'fine COCO-Stuff labels must be 0..181 or 255, found {np.unique(fine[bad])[:5]}'
        )
    return lut[fine.astype(np.int64)]


def cluster_confusion(
    pred: np.ndarray,
    gt: np.ndarray,
    num_classes: int = NUM_CLASSES,
    ignore_index: int = IGNORE_INDEX,
) -> ImageConfusion:
    """Pixel counts of every predicted cluster against every class, for one image.

    Args:
        pred: (H, W) integer cluster ids (any values, any number of clusters).
        gt: (H, W) class ids 0..num_classes-1, or ``ignore_index``.

    Returns:
        ``(ids, counts)``: the (K,) cluster ids that occur on labelled pixels, sorted,
        and their (K, num_classes) int64 counts.
    """
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f'pred shape {pred.shape} differs from ground-truth shape {gt.shape}')
    keep = gt != ignore_index
    gt_kept = gt[keep].astype(np.int64)
    if gt_kept.size and (gt_kept.min() < 0 or gt_kept.max() >= num_classes):
        raise ValueError(f'ground-truth classes must be 0..{num_classes - 1} or {ignore_index}')
    ids, idx = np.unique(pred[keep], return_inverse=True)
    counts = np.bincount(
        idx.ravel() * num_classes + gt_kept, minlength=len(ids) * num_classes
    ).reshape(len(ids), num_classes)
    return ids, counts


def hungarian_match(confusion: np.ndarray) -> np.ndarray:
    """Assign clusters to classes one-to-one, maximising matched pixels.

    Args:
        confusion: (K, C) pixel counts.

    Returns:
        (K,) int64 class of each cluster, -1 for clusters left unmatched (K > C).
    """
    rows, cols = linear_sum_assignment(confusion, maximize=True)
    assignment = np.full(confusion.shape[0], -1, np.int64)
    assignment[rows] = cols
    return assignment


def matched_counts(confusion: np.ndarray, assignment: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-class TP, FP, FN after mapping clusters to classes.

    Args:
        confusion: (K, C) pixel counts.
        assignment: (K,) class per cluster, -1 for none.

    Returns:
        (tp, fp, fn), each (C,) int64.
    """
    num_classes = confusion.shape[1]
    matched = assignment >= 0
    # Predicted class-space map: rows of matched clusters moved to their class.
    predicted = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(predicted, assignment[matched], confusion[matched])
    tp = np.diag(predicted).copy()
    fp = predicted.sum(axis=1) - tp
    fn = confusion.sum(axis=0) - tp
    return tp, fp, fn


def _class_means(iou: np.ndarray, valid: np.ndarray) -> dict[str, float]:
    things = thing_class_mask()

    def mean(mask: np.ndarray) -> float:
        return float(iou[mask].mean()) if mask.any() else float('nan')

    return {
        'mIoU': mean(valid),
        'thing_mIoU': mean(valid & things),
        'stuff_mIoU': mean(valid & ~things),
    }


def _totals_summary(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, float]:
    union = tp + fp + fn
    iou = tp / np.maximum(union, 1)
    labelled = (tp + fn).sum()
    out = _class_means(iou, union > 0)
    out['pixel_accuracy'] = float(tp.sum() / labelled) if labelled else float('nan')
    return out


def dataset_level_scores(confusions: Sequence[ImageConfusion]) -> dict[str, float | int]:
    """Protocol (a): one confusion summed over the set, one Hungarian match.

    Cluster id ``k`` means the same cluster in every image. Class IoUs are averaged
    over classes with a non-empty union.

    Args:
        confusions: per image, the output of :func:`cluster_confusion`.

    Returns:
        ``mIoU``, ``thing_mIoU``, ``stuff_mIoU``, ``pixel_accuracy`` (floats) and
        ``num_images`` (images with labelled pixels).
    """
    scored = [(ids, c) for ids, c in confusions if c.sum() > 0]
    if not scored:
        return _empty_result()
    all_ids = np.unique(np.concatenate([ids for ids, _ in scored]))
    total = np.zeros((len(all_ids), scored[0][1].shape[1]), np.int64)
    for ids, counts in scored:
        total[np.searchsorted(all_ids, ids)] += counts
    out = _totals_summary(*matched_counts(total, hungarian_match(total)))
    out['num_images'] = len(scored)
    return out


def per_image_scores(confusions: Sequence[ImageConfusion]) -> dict[str, float | int]:
    """Protocol (b): Hungarian match per image, mIoU over the image's GT classes, mean over images.

    Args:
        confusions: per image, the output of :func:`cluster_confusion`.

    Returns:
        ``mIoU``, ``pixel_accuracy`` (means over images with labelled pixels),
        ``thing_mIoU`` / ``stuff_mIoU`` (means over images holding a thing / stuff
        class), and the counts ``num_images``, ``num_images_thing``, ``num_images_stuff``.
    """
    per_image: list[dict[str, float]] = []
    for _, counts in confusions:
        if counts.sum() == 0:
            continue
        tp, fp, fn = matched_counts(counts, hungarian_match(counts))
        iou = tp / np.maximum(tp + fp + fn, 1)
        scores = _class_means(iou, (tp + fn) > 0)
        scores['pixel_accuracy'] = float(tp.sum() / (tp + fn).sum())
        per_image.append(scores)
    if not per_image:
        return _empty_result() | {'num_images_thing': 0, 'num_images_stuff': 0}
    table = {k: np.array([s[k] for s in per_image]) for k in per_image[0]}
    out = {
        k: float(np.nanmean(v)) if np.isfinite(v).any() else float('nan') for k, v in table.items()
    }
    out['num_images'] = len(per_image)
    out['num_images_thing'] = int(np.isfinite(table['thing_mIoU']).sum())
    out['num_images_stuff'] = int(np.isfinite(table['stuff_mIoU']).sum())
    return out


def per_image_summed_scores(confusions: Sequence[ImageConfusion]) -> dict[str, float | int]:
    """Protocol (c): Hungarian match per image, TP/FP/FN summed over the set.

    Args:
        confusions: per image, the output of :func:`cluster_confusion`.

    Returns:
        ``mIoU``, ``thing_mIoU``, ``stuff_mIoU``, ``pixel_accuracy`` and ``num_images``.
    """
    totals = np.zeros((3, NUM_CLASSES), np.int64)
    num_images = 0
    for _, counts in confusions:
        if counts.sum() == 0:
            continue
        totals[:, : counts.shape[1]] += np.stack(matched_counts(counts, hungarian_match(counts)))
        num_images += 1
    if not num_images:
        return _empty_result()
    out = _totals_summary(*totals)
    out['num_images'] = num_images
    return out


def cocostuff_scores(confusions: Sequence[ImageConfusion], protocol: str) -> dict[str, float | int]:
    """Score per-image confusions with one protocol ('dataset', 'per_image', 'per_image_summed')."""
    functions = {
        'dataset': dataset_level_scores,
        'per_image': per_image_scores,
        'per_image_summed': per_image_summed_scores,
    }
    if protocol not in functions:
        raise ValueError(f'protocol must be one of {PROTOCOLS}, got {protocol!r}')
    return functions[protocol](confusions)


def _empty_result() -> dict[str, float | int]:
    nan = float('nan')
    return {
        'mIoU': nan,
        'thing_mIoU': nan,
        'stuff_mIoU': nan,
        'pixel_accuracy': nan,
        'num_images': 0,
    }
