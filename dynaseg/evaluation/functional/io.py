"""Reading predictions and ground truth for scoring, with one-line errors that name the file.

Prediction files are read by :func:`dynaseg.utils.fileio.load_label_map` (single-channel
8/16-bit or palette PNG, or Kim et al.'s comma-separated CSV; colour PNGs are
rejected); this module adds the checks scoring needs and the ground-truth formats:

- BSDS500 ``.mat``: ``groundTruth{k}.Segmentation`` for every human annotation k, or
  Kim et al.'s per-annotation CSV files ``<id>-<k>.csv``.
- VOC2012 ``SegmentationObject`` / ``SegmentationClass(Aug)`` palette PNGs.
- COCO-Stuff stuffthingmaps PNGs, mapped to the 27 coarse classes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import scipy.io

from dynaseg.utils.fileio import LabelMapError, load_label_map

from .cocostuff import fine_to_coarse

PathLike = str | os.PathLike

__all__ = [
    'LabelMapError',
    'load_bsds_ground_truth',
    'load_cocostuff_ground_truth',
    'load_voc_ground_truth',
    'read_label_map',
]


def _check_non_negative(labels: np.ndarray, source: object) -> np.ndarray:
    if labels.ndim != 2 or labels.size == 0:
        raise LabelMapError(
            f'{source}: expected a non-empty 2-D label map, got shape {labels.shape}'
        )
    low = int(labels.min())
    if low < 0:
        raise LabelMapError(f'{source}: negative label value {low}; segment ids must be >= 0')
    return labels


def read_label_map(path: PathLike) -> np.ndarray:
    """Read a prediction or label map (``.png`` or ``.csv``) and check its ids are >= 0.

    Returns:
        (H, W) int32 segment ids.

    Raises:
        FileNotFoundError: no such file.
        LabelMapError: unreadable, colour PNG, unsupported suffix or a negative id.
    """
    return _check_non_negative(load_label_map(path), os.fspath(path))


def load_bsds_ground_truth(path: PathLike | Sequence[PathLike]) -> list[np.ndarray]:
    """Load all human annotations of one BSDS500 image.

    Args:
        path: the image's ``.mat`` file, or its Kim-style CSV files ``<id>-<k>.csv``.

    Returns:
        One (H, W) int64 segment map per annotation (BSDS labels start at 1).
    """
    if isinstance(path, (str, os.PathLike)):
        try:
            cells = scipy.io.loadmat(path)['groundTruth'][0]
            gts = [np.asarray(cell['Segmentation'][0, 0], np.int64) for cell in cells]
        except FileNotFoundError:
            raise
        except (OSError, KeyError, IndexError, ValueError, TypeError, NotImplementedError) as err:
            raise LabelMapError(
                f'{os.fspath(path)}: cannot read BSDS500 ground truth ({type(err).__name__}: {err})'
            ) from err
        source = os.fspath(path)
    else:
        gts = [np.asarray(read_label_map(p), np.int64) for p in path]
        source = ', '.join(str(p) for p in path)
    if not gts:
        raise LabelMapError(f'{source}: no annotation found')
    for gt in gts:
        _check_non_negative(gt, source)
        if gt.shape != gts[0].shape:
            raise LabelMapError(
                f'{source}: annotations differ in size ({gt.shape} vs {gts[0].shape})'
            )
    return gts


def load_voc_ground_truth(path: PathLike) -> np.ndarray:
    """Load a VOC2012 ``SegmentationObject`` or ``SegmentationClass(Aug)`` PNG.

    Returns:
        (H, W) int32 palette indices: 0 background, object / class ids, 255 void.
    """
    gt = read_label_map(path)
    if np.all(gt == 255):
        raise LabelMapError(f'{os.fspath(path)}: empty ground truth (every pixel is void, 255)')
    return gt


def load_cocostuff_ground_truth(path: PathLike) -> np.ndarray:
    """Load a COCO-Stuff stuffthingmaps PNG as COCO-Stuff-27 classes.

    Returns:
        (H, W) uint8 coarse classes 0..26, 255 unlabelled.
    """
    fine = read_label_map(path)
    try:
        return fine_to_coarse(fine)
    except ValueError as err:
        raise LabelMapError(f'{os.fspath(path)}: {err}') from err
