"""BSDS500: images/<split>/<id>.jpg with groundTruth/<split>/<id>.mat or Kim's <id>-<k>.csv."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dynaseg.evaluation.functional.io import load_bsds_ground_truth
from dynaseg.registry import DATASETS

from .base import ListedImageDataset, Metrics, ReportSubset, ScoreCell, metric

#: Kim et al.'s modes as eval_results.json prefixes: all annotations, the finest, the coarsest.
KIM_MODES = ('all', 'fine', 'coarse')
REGION_SCORES = ('PRI', 'VOI', 'covering')
_KIM_GT_CSV = re.compile(r'^(?P<id>.+)-(?P<k>\d+)$')


@DATASETS.register_module()
class BSDS500Dataset(ListedImageDataset):
    """Berkeley Segmentation Data Set 500 with its human annotations.

    The image ids are those with ground truth (``.mat`` files, or Kim's CSV groups), so an
    annotated image whose JPEG is missing is reported; without a ground-truth folder the
    ids are the images of the split and ``gt_path`` is None.

    Args:
        data_root: folder holding ``images/`` and ``groundTruth/``.
        split: ``'train'``, ``'val'`` or ``'test'``.
        gt_dir: ground-truth folder; defaults to ``groundTruth/<split>`` under ``data_root``.
            A folder of Kim-style ``<id>-<k>.csv`` files is recognised by its contents.
        **kwargs: see :class:`ListedImageDataset`.
    """

    METAINFO: ClassVar[dict[str, Any]] = {'dataset_name': 'bsds500'}

    def __init__(
        self,
        data_root: str = 'data/bsds500',
        split: str = 'test',
        gt_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        if split not in ('train', 'val', 'test'):
            raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
        self.split = split
        self.gt_dir = gt_dir
        super().__init__(data_root=data_root, **kwargs)

    def _ground_truth_files(self) -> dict[str, str | list[str]]:
        gt_dir = Path(self.gt_dir) if self.gt_dir else self.root / 'groundTruth' / self.split
        if not gt_dir.is_dir():
            return {}
        files: dict[str, str | list[str]] = {p.stem: str(p) for p in sorted(gt_dir.glob('*.mat'))}
        groups: dict[str, list[tuple[int, str]]] = {}
        for path in sorted(gt_dir.glob('*.csv')):
            match = _KIM_GT_CSV.match(path.stem)
            if match:
                groups.setdefault(match['id'], []).append((int(match['k']), str(path)))
        files.update({i: [p for _, p in sorted(g)] for i, g in groups.items() if i not in files})
        return files

    def list_samples(self) -> list[dict[str, Any]]:
        image_dir = self.root / 'images' / self.split
        gts = self._ground_truth_files()
        ids = sorted(gts) if gts else sorted(p.stem for p in image_dir.glob('*.jpg'))
        return [
            {'img_id': i, 'img_path': str(image_dir / f'{i}.jpg'), 'gt_path': gts.get(i)}
            for i in ids
        ]

    def load_ground_truth(self, info: dict[str, Any]) -> list[np.ndarray]:
        """All human annotations of the image, each (H, W) int64 with labels from 1."""
        return load_bsds_ground_truth(self._require_gt(info))

    def report_subset(
        self, images: int, ids: Sequence[str] | None, work_dir: Path, write: bool
    ) -> ReportSubset:
        """The first ``images`` ids of the sorted split (0: all), or exactly ``ids``, as dataset
        indices (``work_dir`` and ``write`` are not needed: nothing is generated).

        Raises:
            SystemExit: an id the split does not list.
        """
        listed = [sample['img_id'] for sample in self.list_samples()]
        split = self.split
        if ids:
            unknown = [i for i in ids if i not in listed]
            if unknown:
                raise SystemExit(f'error: not BSDS500 {split} ids: {" ".join(unknown)}')
            indices = sorted(listed.index(i) for i in ids)
            digest = hashlib.sha1(' '.join(sorted(ids)).encode()).hexdigest()[:8]
            given = f'{len(ids)} given ids: {" ".join(listed[i] for i in indices)}'
            return ReportSubset(
                f'{split}_ids{len(ids)}-{digest}',
                given,
                given,
                {'dataset.indices': '[' + ','.join(map(str, indices)) + ']'},
                len(ids),
            )
        if images <= 0 or images >= len(listed):
            every = f'all {len(listed)} {split} images'
            return ReportSubset(f'{split}_all', every, every, {}, len(listed))
        first = f'the first {images} ids of the sorted {split} list'
        return ReportSubset(
            f'{split}_first{images}',
            f'{first} ({" ".join(listed[:images])})',
            first,
            {'dataset.indices': str(images)},
            images,
        )

    @classmethod
    def report_scores(cls, metrics: Metrics) -> list[ScoreCell]:
        """Kim mIoU all / fine / coarse, then PRI / VOI / covering (the region metric's prefix
        is whichever holds a PRI)."""
        region = next((p for p, scores in metrics.items() if 'PRI' in scores), '')
        cells = [ScoreCell((metric(metrics, mode, 'mIoU'),)) for mode in KIM_MODES]
        return cells + [ScoreCell((metric(metrics, region, k),), 3) for k in REGION_SCORES]
