"""Reading predictions and ground truth for scoring, with one-line errors that name the file.

Prediction files are read by :func:`dynaseg.utils.fileio.load_label_map` (single-channel
8/16-bit or palette PNG, or Kim et al.'s comma-separated CSV; colour PNGs are
rejected); this module adds the checks scoring needs and the ground-truth formats:

- BSDS500 ``.mat``: ``groundTruth{k}.Segmentation`` for every human annotation k, or
  Kim et al.'s per-annotation CSV files ``<id>-<k>.csv``; ``groundTruth{k}.Boundaries`` for
  the boundary benchmark.
- The BSDS benchmark's inputs: a hierarchy ``ucm2`` or a segmentation set ``segs`` in a
  ``.mat`` / ``.npz`` file (or a bare ``.npy`` array), and soft boundary map PNGs.
- VOC2012 ``SegmentationObject`` / ``SegmentationClass(Aug)`` palette PNGs.
- COCO-Stuff stuffthingmaps PNGs, mapped to the 27 coarse classes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np
import scipy.io

from dynaseg.utils.fileio import LabelMapError, load_label_map

from .cocostuff import fine_to_coarse

PathLike = str | os.PathLike

__all__ = [
    'LabelMapError',
    'load_boundary_map',
    'load_bsds_boundaries',
    'load_bsds_ground_truth',
    'load_hierarchy_or_set',
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
        cells = _ground_truth_cells(path)
        try:
            gts = [np.asarray(cell['Segmentation'][0, 0], np.int64) for cell in cells]
        except (KeyError, IndexError, ValueError, TypeError) as err:
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


def _ground_truth_cells(path: PathLike) -> np.ndarray:
    try:
        return scipy.io.loadmat(path)['groundTruth'][0]
    except FileNotFoundError:
        raise
    except (OSError, KeyError, IndexError, ValueError, TypeError, NotImplementedError) as err:
        raise LabelMapError(
            f'{os.fspath(path)}: cannot read BSDS500 ground truth ({type(err).__name__}: {err})'
        ) from err


def load_bsds_boundaries(path: PathLike) -> list[np.ndarray]:
    """Load the human boundary maps of one BSDS500 image (``groundTruth{k}.Boundaries``).

    Returns:
        One (H, W) bool map per annotation.
    """
    try:
        maps = [np.asarray(c['Boundaries'][0, 0], bool) for c in _ground_truth_cells(path)]
    except (KeyError, IndexError, ValueError) as err:
        raise LabelMapError(
            f'{os.fspath(path)}: no Boundaries in the ground truth ({err})'
        ) from err
    if not maps or any(m.ndim != 2 or m.shape != maps[0].shape for m in maps):
        raise LabelMapError(f'{os.fspath(path)}: no boundary maps of one 2-D size')
    return maps


#: The array names a benchmark input file may hold, as the BSDS benchmark names them.
HIERARCHY_KEYS = ('ucm2', 'segs')


def load_hierarchy_or_set(path: PathLike) -> tuple[str, object]:
    """Read a BSDS benchmark input: a hierarchy ``ucm2`` or a segmentation set ``segs``.

    ``.mat`` and ``.npz`` files hold an array named ``ucm2`` or ``segs`` (a MATLAB cell of
    label maps, or a (T, H, W) array); a ``.npy`` file holds a bare array, read as ``ucm2``
    when 2-D and as ``segs`` when 3-D.

    Returns:
        (``'ucm2'``, (2H+1, 2W+1) float64 array) or (``'segs'``, list of (H, W) int64 maps).

    Raises:
        FileNotFoundError: no such file.
        LabelMapError: unreadable, or neither array present, in one line naming the file.
    """
    source = os.fspath(path)
    suffix = os.path.splitext(source)[1].lower()
    try:
        if suffix == '.mat':
            content = {k: v for k, v in scipy.io.loadmat(path).items() if k in HIERARCHY_KEYS}
        elif suffix == '.npz':
            with np.load(path, allow_pickle=False) as npz:
                content = {k: npz[k] for k in HIERARCHY_KEYS if k in npz.files}
        elif suffix == '.npy':
            array = np.load(path, allow_pickle=False)
            content = {('ucm2' if array.ndim == 2 else 'segs'): array}
        else:
            raise LabelMapError(f'{source}: unsupported suffix (use .mat, .npz or .npy)')
    except FileNotFoundError:
        raise
    except (OSError, ValueError, TypeError, NotImplementedError) as err:
        raise LabelMapError(f'{source}: cannot read ({type(err).__name__}: {err})') from err
    if len(content) != 1:
        raise LabelMapError(f'{source}: expected exactly one of the arrays {HIERARCHY_KEYS}')
    ((kind, value),) = content.items()
    if kind == 'ucm2':
        return kind, np.asarray(value, np.float64)
    # A MATLAB cell arrives as a (1, T) object array; an npz / npy set as (T, H, W).
    maps = list(value.ravel()) if value.dtype == object else list(value)
    try:
        segs = [_check_non_negative(np.asarray(m, np.int64), source) for m in maps]
    except (TypeError, ValueError) as err:
        raise LabelMapError(f'{source}: segs must hold integer label maps ({err})') from err
    if not segs:
        raise LabelMapError(f'{source}: empty segmentation set')
    return kind, segs


def load_boundary_map(path: PathLike) -> np.ndarray:
    """Read a soft boundary map PNG as the benchmark does: ``double(imread(f)) / 255``.

    Returns:
        (H, W) float64 strengths in [0, 1].
    """
    image = cv2.imread(os.fspath(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        if not os.path.isfile(path):
            raise FileNotFoundError(f'{os.fspath(path)}: no such file')
        raise LabelMapError(f'{os.fspath(path)}: cannot read as an image')
    if image.ndim != 2 or image.dtype != np.uint8:
        raise LabelMapError(
            f'{os.fspath(path)}: a boundary map must be a single-channel 8-bit PNG, '
            f'got shape {image.shape} {image.dtype}'
        )
    return image.astype(np.float64) / 255


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
