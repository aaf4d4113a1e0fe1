"""PASCAL VOC 2012 segmentation with object (instance) or class masks as Kim-metric segments."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dynaseg.evaluation.functional.io import load_voc_ground_truth
from dynaseg.registry import DATASETS

from .base import ListedImageDataset, Metrics, ReportSubset, ScoreCell, metric, read_id_list

GT_KINDS = ('auto', 'object', 'class')
#: The val images whose JPEG is present, as a split list (what a report runs on).
PRESENT_SPLIT = 'val_with_images'


@DATASETS.register_module()
class VOC2012SegmentDataset(ListedImageDataset):
    """VOC2012 images listed in ``ImageSets/Segmentation/<split>.txt``.

    Kim et al.'s segments are each object and the background, i.e. the
    ``SegmentationObject`` PNG. Where that folder is absent the class masks
    (``SegmentationClass``, else ``SegmentationClassAug``, which are identical for VOC
    images) are used, and every class value is one segment: two touching or separate
    objects of one class then form a single segment, so scores differ from the
    object-mask protocol (a blank prediction scores 0.2972 with object masks in Kim et
    al.'s setting, about 0.40 with the class masks of the 1449 val images). Each entry's
    ``gt_kind`` says which was used. 255 (void) is ignored by the metric.

    Args:
        data_root: the ``VOC2012`` folder.
        split: list name under ``ImageSets/Segmentation`` (``'val'``, ``'train'``, ...).
        gt_kind: ``'object'``, ``'class'``, or ``'auto'`` (object if the folder exists).
        **kwargs: see :class:`ListedImageDataset`.
    """

    METAINFO: ClassVar[dict[str, Any]] = {'dataset_name': 'voc2012'}

    def __init__(
        self,
        data_root: str = 'data/voc2012',
        split: str = 'val',
        gt_kind: str = 'auto',
        **kwargs: Any,
    ) -> None:
        if gt_kind not in GT_KINDS:
            raise ValueError(f'gt_kind must be one of {GT_KINDS}, got {gt_kind!r}')
        self.split = split
        self.gt_kind = gt_kind
        super().__init__(data_root=data_root, **kwargs)

    def resolved_gt_kind(self) -> str:
        """``'object'`` or ``'class'``: the masks this dataset scores against."""
        if self.gt_kind != 'auto':
            return self.gt_kind
        return 'object' if (self.root / 'SegmentationObject').is_dir() else 'class'

    def list_samples(self) -> list[dict[str, Any]]:
        ids = read_id_list(self.root / 'ImageSets' / 'Segmentation' / f'{self.split}.txt')
        kind = self.resolved_gt_kind()
        folders = (
            ['SegmentationObject']
            if kind == 'object'
            else ['SegmentationClass', 'SegmentationClassAug']
        )
        samples = []
        for i in ids:
            candidates = [self.root / f / f'{i}.png' for f in folders]
            gt = next((str(p) for p in candidates if p.is_file()), None)
            samples.append(
                {
                    'img_id': i,
                    'img_path': str(self.root / 'JPEGImages' / f'{i}.jpg'),
                    'gt_path': gt,
                    'gt_kind': kind,
                }
            )
        return samples

    def load_ground_truth(self, info: dict[str, Any]) -> np.ndarray:
        """(H, W) object or class ids, 0 background, 255 void."""
        return load_voc_ground_truth(self._require_gt(info))

    def report_subset(
        self, images: int, ids: Sequence[str] | None, work_dir: Path, write: bool
    ) -> ReportSubset:
        """The ``val_with_images`` list: the val images whose JPEG is present (the report's
        ``images`` / ``ids`` choose BSDS500 images only)."""
        try:
            listed = type(self)(str(self.root), split=PRESENT_SPLIT, lazy_init=True)
            n: int | None = len(listed.list_samples())
        except FileNotFoundError:
            n = None
        description = (
            f'the {n or "(list missing)"} val images whose JPEG is present '
            f'(ImageSets/Segmentation/{PRESENT_SPLIT}.txt)'
        )
        options = {'dataset.split': PRESENT_SPLIT}
        return ReportSubset(PRESENT_SPLIT, description, f'{n} VOC images', options, n)

    @classmethod
    def report_scores(cls, metrics: Metrics) -> list[ScoreCell]:
        """Kim mIoU against the VOC segments."""
        return [ScoreCell((metric(metrics, 'voc', 'mIoU'),))]
