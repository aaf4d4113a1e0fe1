"""Kim et al. (TIP 2020) best-match segment mIoU for BSDS500 and PASCAL VOC 2012.

For every ground-truth segment ``s`` the score is the best intersection over union
with any predicted segment ``p``::

    score(s) = max_p |s ∩ p| / (|s| + |p| - |s ∩ p|)

and the reported mIoU is the mean over all segments of all images, pooled (an image
with many segments weighs more than one with few).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dynaseg.utils.labels import relabel_connected_components

BSDS_MODES: dict[int, str] = {1: 'all', 2: 'fine', 3: 'coarse'}


# Above this many (pred x gt) cells the contingency table is built sparsely: relabelled
# noisy predictions can have 10^5 segments, and a dense table would not fit in time or memory.
_DENSE_TABLE_LIMIT = 1 << 20


def _segment_index(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Non-negative segment indices of a flat integer label array, and their range K.

    Small non-negative ids (the usual case: BSDS labels 1..K, relabelled predictions
    0..K-1) are used as they are, which avoids a sort; indices without pixels are
    harmless because :func:`_best_match` drops empty ground-truth segments.
    """
    labels = labels.ravel()
    if (
        labels.size
        and np.issubdtype(labels.dtype, np.integer)
        and labels.min() >= 0
        and labels.max() < 4 * labels.size + 1024
    ):
        return labels, int(labels.max()) + 1
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.ravel(), int(inverse.max()) + 1 if inverse.size else 0


def _num_segments(labels: np.ndarray) -> int:
    """Number of distinct values of an integer label map."""
    index, size = _segment_index(labels)
    return int(np.count_nonzero(np.bincount(index, minlength=size)))


def _best_match(p_idx: np.ndarray, num_pred: int, g_idx: np.ndarray, num_gt: int) -> np.ndarray:
    """Best IoU of each non-empty ground-truth segment, in increasing index order.

    Args:
        p_idx: (N,) predicted segment index of every pixel, in [0, num_pred).
        g_idx: (N,) ground-truth segment index of every pixel, in [0, num_gt).

    Returns:
        (S,) float64, S = number of ground-truth indices that own pixels.
    """
    key = p_idx.astype(np.int64) * num_gt + g_idx
    if num_pred * num_gt <= _DENSE_TABLE_LIMIT:
        # One bincount gives the whole (P, G) contingency table; the areas are its margins.
        inter = np.bincount(key, minlength=num_pred * num_gt).reshape(num_pred, num_gt)
        pred_area = inter.sum(axis=1)
        gt_area = inter.sum(axis=0)
        with np.errstate(invalid='ignore', divide='ignore'):
            best = (inter / (pred_area[:, None] + gt_area[None, :] - inter)).max(axis=0)
    else:
        pred_area = np.bincount(p_idx, minlength=num_pred)
        gt_area = np.bincount(g_idx, minlength=num_gt)
        pairs, inter = np.unique(key, return_counts=True)
        p_of, g_of = np.divmod(pairs, num_gt)
        best = np.zeros(num_gt, np.float64)
        np.maximum.at(best, g_of, inter / (pred_area[p_of] + gt_area[g_of] - inter))
    return best[gt_area > 0]


def best_match_iou(pred: np.ndarray, gt: np.ndarray, ignore_index: int | None = None) -> np.ndarray:
    """Best IoU of every ground-truth segment with any predicted segment.

    Pixels whose ground truth equals ``ignore_index`` are removed from both maps, so
    they count neither in ``|s|`` nor in ``|p|``.

    Args:
        pred: (H, W) integer map of predicted segment ids (any values).
        gt: (H, W) integer map of ground-truth segment ids.
        ignore_index: ground-truth value to leave out, or None.

    Returns:
        (S,) float64 scores in [0, 1], one per ground-truth segment in increasing
        order of its id; empty when every pixel is ignored.
    """
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.shape != gt.shape or pred.ndim != 2:
        raise ValueError(
            f'pred and gt must be 2-D maps of one shape, got {pred.shape} and {gt.shape}'
        )
    if ignore_index is not None:
        keep = gt != ignore_index
        pred, gt = pred[keep], gt[keep]
    if gt.size == 0:
        return np.zeros(0, np.float64)
    return _best_match(*_segment_index(pred), *_segment_index(gt))


def select_annotations(gts: Sequence[np.ndarray], mode: int) -> list[np.ndarray]:
    """Pick the human annotations a BSDS500 mode scores.

    Args:
        gts: the image's annotations, each an (H, W) segment-id map.
        mode: 1 all annotations, 2 "fine" (the one with most segments),
            3 "coarse" (the one with fewest); ties go to the first such annotation.

    Returns:
        The selected annotations.
    """
    if mode not in BSDS_MODES:
        raise ValueError(f'mode must be 1 (all), 2 (fine) or 3 (coarse), got {mode}')
    if len(gts) == 0:
        raise ValueError('no ground-truth annotation given')
    if mode == 1:
        return list(gts)
    counts = [_num_segments(np.asarray(g)) for g in gts]
    pick = int(np.argmax(counts)) if mode == 2 else int(np.argmin(counts))
    return [gts[pick]]


def kim_image_scores(
    pred: np.ndarray,
    gts: np.ndarray | Sequence[np.ndarray],
    mode: int = 1,
    relabel: bool = True,
    ignore_index: int | None = None,
    connectivity: int = 1,
) -> np.ndarray:
    """Best-match scores of all scored ground-truth segments of one image.

    Args:
        pred: (H, W) integer map of predicted labels.
        gts: one (H, W) ground-truth map (VOC) or a sequence of annotations (BSDS500).
        mode: BSDS500 mode (1 all, 2 fine, 3 coarse); irrelevant for a single map.
        relabel: split every disconnected region of one predicted label into its own
            segment before scoring, as Kim et al. do.
        ignore_index: ground-truth value to leave out (255 for VOC), or None.
        connectivity: neighbourhood of the relabelling (1: 4-neighbours, 2: 8).

    Returns:
        (S,) float64 scores, the selected annotations' segments concatenated.
    """
    annotations = (
        [np.asarray(gts)] if isinstance(gts, np.ndarray) and np.ndim(gts) == 2 else list(gts)
    )
    pred = np.asarray(pred)
    for k, gt in enumerate(annotations):
        if gt.shape != pred.shape:
            raise ValueError(
                f'prediction shape {pred.shape} differs from annotation {k} shape {gt.shape}'
            )
    if relabel:
        pred = relabel_connected_components(pred, connectivity=connectivity)
    selected = select_annotations(annotations, mode)
    if ignore_index is not None:
        return np.concatenate([best_match_iou(pred, gt, ignore_index) for gt in selected])
    # Without ignored pixels every annotation sees the same predicted segments: index them once.
    pred_index = _segment_index(pred)
    return np.concatenate([_best_match(*pred_index, *_segment_index(gt)) for gt in selected])


def pooled_miou(per_image_scores: Sequence[np.ndarray]) -> dict[str, float | int]:
    """Pool per-image segment scores into Kim et al.'s mIoU.

    Args:
        per_image_scores: one (S_i,) score array per image.

    Returns:
        ``{'mIoU': mean over all segments, 'num_images': ..., 'num_segments': ...}``;
        mIoU is NaN when no segment was scored.
    """
    scores = [np.asarray(s, np.float64).ravel() for s in per_image_scores]
    pooled = np.concatenate(scores) if scores else np.zeros(0)
    miou = float(pooled.mean()) if pooled.size else float('nan')
    return {'mIoU': miou, 'num_images': len(scores), 'num_segments': int(pooled.size)}
