"""Label-map helpers: consecutive ids, connected-component relabelling, nearest resize.

All functions take and return plain numpy integer label maps of shape (H, W).
"""

from __future__ import annotations

import numpy as np
from skimage.measure import label as _skimage_label


def _check_label_map(labels: np.ndarray, name: str = 'labels') -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.size == 0:
        raise ValueError(
            f'{name} must be a non-empty 2-D label map (H, W), got shape {labels.shape}'
        )
    if not np.issubdtype(labels.dtype, np.integer):
        if np.issubdtype(labels.dtype, np.floating) and np.all(np.mod(labels, 1) == 0):
            return labels.astype(np.int64)
        raise ValueError(f'{name} must hold integer segment ids, got dtype {labels.dtype}')
    return labels


def to_consecutive(labels: np.ndarray) -> np.ndarray:
    """Map the distinct values of a label map onto 0..K-1, keeping their sorted order.

    Args:
        labels: (H, W) integer label map, any values (negative allowed).

    Returns:
        (H, W) int32 label map whose ids are 0..K-1, K = number of distinct values.
    """
    labels = _check_label_map(labels)
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.reshape(labels.shape).astype(np.int32)


def in_raster_order(labels: np.ndarray) -> np.ndarray:
    """Map the distinct values of a label map onto 0..K-1 in the order in which they first
    appear, row by row: the same partition always gets the same ids, however it was made.

    Args:
        labels: (H, W) integer label map, any values.

    Returns:
        (H, W) int32 label map whose ids are 0..K-1.
    """
    flat = _check_label_map(labels).ravel()
    if flat.size == 0:
        return np.zeros(labels.shape, np.int32)
    # A value first appears where a run of equal values starts: sort the run starts only.
    starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
    values, first = np.unique(flat[starts], return_index=True)
    rank = np.empty(values.size, np.int32)
    rank[np.argsort(first, kind='stable')] = np.arange(values.size, dtype=np.int32)
    low, high = int(values[0]), int(values[-1])
    if high - low < 4 * flat.size:  # ids in a small range (a labelling's): a lookup table
        table = np.zeros(high - low + 1, np.int32)
        table[values - low] = rank
        return table[flat - low].reshape(labels.shape)
    return rank[np.searchsorted(values, flat)].reshape(labels.shape)


def relabel_connected_components(labels: np.ndarray, connectivity: int = 1) -> np.ndarray:
    """Give every connected region of one label its own segment id.

    Kim et al. score predictions this way: a label that occurs in two disconnected
    places is two segments, not one.

    Args:
        labels: (H, W) integer label map (any values; 1xN and 1x1 maps are fine).
        connectivity: 1 joins 4-neighbours, 2 also joins diagonal neighbours.

    Returns:
        (H, W) int32 map of segment ids 0..S-1, numbered in raster-scan order of
        each segment's first pixel.
    """
    labels = _check_label_map(labels)
    if connectivity not in (1, 2):
        raise ValueError(f'connectivity must be 1 or 2, got {connectivity}')
    # skimage joins equal-valued neighbours for any integer value; a background value
    # that no pixel holds makes it label every pixel.
    background = int(labels.min()) - 1
    components = _skimage_label(
        labels.astype(np.int64, copy=False), background=background, connectivity=connectivity
    )
    return (components - 1).astype(np.int32)


def resize_nearest(labels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a label map (same sampling rule as cv2.INTER_NEAREST).

    Pure index arithmetic, so any integer dtype survives unchanged (cv2 rejects int64).

    Args:
        labels: (H, W) label map.
        size: target (H', W').

    Returns:
        (H', W') label map with the dtype of ``labels``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f'labels must be a 2-D label map (H, W), got shape {labels.shape}')
    out_h, out_w = int(size[0]), int(size[1])
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f'target size must be positive, got {size}')
    in_h, in_w = labels.shape
    rows = np.minimum((np.arange(out_h) * (in_h / out_h)).astype(np.int64), in_h - 1)
    cols = np.minimum((np.arange(out_w) * (in_w / out_w)).astype(np.int64), in_w - 1)
    return labels[rows[:, None], cols[None, :]]
