"""Reading label maps and ground truth from disk, with one-line errors that name the file.

Formats:
- prediction / label PNG: single channel (8-bit ``L`` or ``P`` palette indices, 16- or
  32-bit integer); the pixel value is the segment id. Colour PNGs are rejected because
  a colour rendering of a segmentation is not a label map.
- Kim et al.'s CSV: a comma-separated integer matrix, one image row per line.
- BSDS500 ``.mat``: ``groundTruth{k}.Segmentation`` for every human annotation k.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import scipy.io
from PIL import Image

from .cocostuff import fine_to_coarse

PathLike = str | os.PathLike
LABEL_EXTENSIONS = ('.png', '.csv')


class LabelMapError(ValueError):
    """A label or ground-truth file that cannot be used; the message names the file."""


def _check_labels(labels: np.ndarray, path: PathLike) -> np.ndarray:
    if labels.ndim != 2 or labels.size == 0:
        raise LabelMapError(f'{path}: expected a non-empty 2-D label map, got shape {labels.shape}')
    if labels.min() < 0:
        raise LabelMapError(f'{path}: negative label value {int(labels.min())}; segment ids must be >= 0')
    return labels


def read_png_labels(path: PathLike) -> np.ndarray:
    """Read a single-channel PNG label map.

    Args:
        path: the PNG file.

    Returns:
        (H, W) integer array (uint8, uint16 or int32 as stored; palette indices for ``P``).
    """
    try:
        with Image.open(path) as img:
            mode = img.mode
            if mode in ('RGB', 'RGBA', 'LA', 'CMYK', 'YCbCr', 'HSV', 'LAB'):
                raise LabelMapError(
                    f'{path}: {mode} colour PNG; expected a single-channel label map '
                    '(8/16-bit grey or palette, pixel value = segment id)')
            if mode in ('1', 'F'):
                raise LabelMapError(f'{path}: PNG mode {mode} is not an integer label map')
            labels = np.array(img)
    except LabelMapError:
        raise
    except (OSError, SyntaxError, ValueError) as err:
        raise LabelMapError(f'{path}: cannot read PNG ({err})') from err
    return _check_labels(labels, path)


def read_csv_labels(path: PathLike) -> np.ndarray:
    """Read Kim et al.'s CSV label map (comma-separated integers, one row per line).

    Returns:
        (H, W) int64 array.
    """
    try:
        values = np.loadtxt(path, delimiter=',', dtype=np.float64, ndmin=2)
    except (OSError, ValueError) as err:
        raise LabelMapError(f'{path}: cannot read CSV label map ({err})') from err
    if values.size and not np.all(np.isfinite(values) & (np.mod(values, 1) == 0)):
        raise LabelMapError(f'{path}: CSV label map holds non-integer values')
    return _check_labels(values.astype(np.int64), path)


def read_label_map(path: PathLike) -> np.ndarray:
    """Read a ``.png`` or ``.csv`` label map (see the module docstring for the formats).

    Returns:
        (H, W) non-negative integer array.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext == '.png':
        return read_png_labels(path)
    if ext == '.csv':
        return read_csv_labels(path)
    raise LabelMapError(f'{path}: unsupported label-map extension {ext!r} (use .png or .csv)')


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
        except (OSError, KeyError, ValueError, NotImplementedError) as err:
            raise LabelMapError(f'{path}: cannot read BSDS500 ground truth ({err})') from err
        gts = [np.asarray(cell['Segmentation'][0, 0], np.int64) for cell in cells]
        source = path
    else:
        gts = [read_csv_labels(p) for p in path]
        source = ', '.join(map(os.fspath, path))
    if not gts:
        raise LabelMapError(f'{source}: no annotation found')
    for gt in gts:
        _check_labels(gt, source)
        if gt.shape != gts[0].shape:
            raise LabelMapError(f'{source}: annotations differ in size ({gt.shape} vs {gts[0].shape})')
    return gts


def load_voc_ground_truth(path: PathLike) -> np.ndarray:
    """Load a VOC2012 ``SegmentationObject`` or ``SegmentationClass(Aug)`` PNG.

    Returns:
        (H, W) uint8 palette indices: 0 background, object / class ids, 255 void.
    """
    gt = read_png_labels(path)
    if np.all(gt == 255):
        raise LabelMapError(f'{path}: ground truth has no labelled pixel (all 255)')
    return gt


def load_cocostuff_ground_truth(path: PathLike) -> np.ndarray:
    """Load a COCO-Stuff stuffthingmaps PNG as COCO-Stuff-27 classes.

    Returns:
        (H, W) uint8 coarse classes 0..26, 255 unlabelled.
    """
    fine = read_png_labels(path)
    try:
        return fine_to_coarse(fine)
    except ValueError as err:
        raise LabelMapError(f'{path}: {err}') from err
