"""Scoring a folder of predicted label maps with Kim et al.'s best-match mIoU.

This is the library side of ``tools/calculate_mIOU.py`` (:func:`dynaseg.cli.miou.main`): it
pairs prediction files with ground-truth files by image id, scores every pair, and reports what
could not be paired.
It never imports torch.

Layouts (no split sub-folders):
- predictions: ``<id>.png`` (single-channel label map) or ``<id>.csv`` (Kim's CSV).
- BSDS500 ground truth: ``<id>.mat`` or Kim's ``<id>-<k>.csv`` (one per annotation).
- VOC2012 ground truth: ``<id>.png`` object or class label PNG (255 = void, ignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dynaseg.utils.labels import resize_nearest

from .functional.io import (
    LabelMapError,
    load_bsds_ground_truth,
    load_voc_ground_truth,
    read_label_map,
)
from .functional.kim_miou import kim_image_scores, pooled_miou

DATASETS = ('bsd500', 'voc')
VOC_IGNORE_INDEX = 255
_KIM_GT_CSV = re.compile(r'^(?P<id>.+)-(?P<k>\d+)$')


@dataclass
class FolderPairs:
    """Prediction / ground-truth files matched by image id.

    Attributes:
        pairs: (image id, prediction file, ground-truth file or files) for ids found in both.
        missing_ground_truth: prediction ids without ground truth.
        missing_predictions: ground-truth ids without a prediction.
    """

    pairs: list[tuple[str, Path, Path | list[Path]]] = field(default_factory=list)
    missing_ground_truth: list[str] = field(default_factory=list)
    missing_predictions: list[str] = field(default_factory=list)


def prediction_files(
    results_dir: Path, suffixes: Sequence[str] = ('.png', '.csv')
) -> dict[str, Path]:
    """{image id: file} of the files in ``results_dir`` with one of ``suffixes``.

    Raises:
        LabelMapError: two files for one image id.
    """
    found: dict[str, Path] = {}
    for path in sorted(results_dir.iterdir()):
        if path.suffix.lower() not in suffixes or not path.is_file():
            continue
        if path.stem in found:
            raise LabelMapError(
                f'{results_dir}: two predictions for image {path.stem!r} '
                f'({found[path.stem].name} and {path.name}); keep one'
            )
        found[path.stem] = path
    return found


def _ground_truth_files(gt_dir: Path, dataset: str) -> dict[str, Path | list[Path]]:
    if dataset == 'voc':
        return {p.stem: p for p in sorted(gt_dir.glob('*.png'))}
    found: dict[str, Path | list[Path]] = {p.stem: p for p in sorted(gt_dir.glob('*.mat'))}
    # Kim et al. store each BSDS annotation as <id>-<k>.csv.
    csv_groups: dict[str, list[tuple[int, Path]]] = {}
    for path in sorted(gt_dir.glob('*.csv')):
        match = _KIM_GT_CSV.match(path.stem)
        if match is None:
            raise LabelMapError(
                f'{path}: BSDS500 ground-truth CSV files must be named <id>-<k>.csv'
            )
        csv_groups.setdefault(match['id'], []).append((int(match['k']), path))
    for image_id, group in csv_groups.items():
        if image_id in found:
            raise LabelMapError(
                f'{gt_dir}: image {image_id!r} has both a .mat and .csv ground truth'
            )
        found[image_id] = [p for _, p in sorted(group)]
    return found


def check_folders(*folders: Path) -> None:
    """Raise FileNotFoundError naming the first of ``folders`` that is not a folder."""
    for folder in folders:
        if not folder.is_dir():
            raise FileNotFoundError(f'{folder}: no such folder')


def pair_folders(
    results_dir: str | os.PathLike, ground_truth_dir: str | os.PathLike, dataset: str = 'bsd500'
) -> FolderPairs:
    """Match prediction files to ground-truth files by image id.

    Args:
        results_dir: folder of ``<id>.png`` / ``<id>.csv`` predictions.
        ground_truth_dir: folder of ground truth in the layout of ``dataset``.
        dataset: ``'bsd500'`` or ``'voc'``.

    Returns:
        The pairs and the ids found on one side only.
    """
    if dataset not in DATASETS:
        raise ValueError(f'dataset must be one of {DATASETS}, got {dataset!r}')
    results_dir, ground_truth_dir = Path(results_dir), Path(ground_truth_dir)
    check_folders(results_dir, ground_truth_dir)
    return match_files(
        prediction_files(results_dir), _ground_truth_files(ground_truth_dir, dataset)
    )


def match_files(preds: dict[str, Path], gts: dict[str, Path | list[Path]]) -> FolderPairs:
    """Pair predictions and ground truth by image id; the rest are reported as missing."""
    return FolderPairs(
        pairs=[(i, preds[i], gts[i]) for i in sorted(preds.keys() & gts.keys())],
        missing_ground_truth=sorted(preds.keys() - gts.keys()),
        missing_predictions=sorted(gts.keys() - preds.keys()),
    )


def score_pairs(
    pairs: Sequence[tuple[str, Path, Path | list[Path]]],
    dataset: str = 'bsd500',
    mode: int = 1,
    resize: bool = False,
    relabel: bool = True,
) -> dict[str, object]:
    """Kim et al.'s pooled mIoU of matched prediction / ground-truth files.

    Args:
        pairs: from :func:`pair_folders`.
        dataset: ``'bsd500'`` (annotations chosen by ``mode``) or ``'voc'`` (255 ignored).
        mode: BSDS500 mode, 1 all / 2 fine / 3 coarse annotations.
        resize: nearest-neighbour resize a prediction to its ground truth's size; without
            it a size mismatch is an error.
        relabel: split disconnected regions of a predicted label into separate segments.

    Returns:
        ``mIoU``, ``num_images``, ``num_segments`` and ``per_image`` ({id: (S_i,) scores}).
    """
    per_image: dict[str, np.ndarray] = {}
    for image_id, pred_path, gt_path in pairs:
        if dataset == 'voc' and isinstance(gt_path, Path):
            gts: list[np.ndarray] = [load_voc_ground_truth(gt_path)]
        else:
            gts = load_bsds_ground_truth(gt_path)
        pred = read_label_map(pred_path)
        if pred.shape != gts[0].shape:
            if not resize:
                raise LabelMapError(
                    f'{pred_path}: prediction size {pred.shape} differs from ground truth '
                    f'{gts[0].shape} (pass --resize_images to resize predictions)'
                )
            pred = resize_nearest(pred, gts[0].shape)
        per_image[image_id] = kim_image_scores(
            pred,
            gts,
            mode=mode if dataset == 'bsd500' else 1,
            relabel=relabel,
            ignore_index=VOC_IGNORE_INDEX if dataset == 'voc' else None,
        )
    result: dict[str, object] = dict(pooled_miou(list(per_image.values())))
    result['per_image'] = per_image
    return result
