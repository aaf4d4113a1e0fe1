"""COCO-Stuff-27 evaluation images: the PiCIE curated val2017 list with stuffthingmaps labels."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dynaseg.evaluation.functional.cocostuff import cocostuff27_meta
from dynaseg.evaluation.functional.io import load_cocostuff_ground_truth
from dynaseg.registry import DATASETS

from .base import ListedImageDataset, Metrics, ReportSubset, ScoreCell, metric, read_id_list
from .image_folder import ImageFolderDataset

#: The three protocols' eval_results.json prefixes: (a) dataset, (b) per image, (c) summed.
PROTOCOL_PREFIXES = ('a_dataset', 'b_per_image', 'c_per_image_summed')
PROTOCOL_SCORES = ('mIoU', 'thing_mIoU', 'stuff_mIoU', 'pixel_accuracy')


@DATASETS.register_module()
class CocoStuff27Dataset(ListedImageDataset):
    """COCO-Stuff 164k images of a curated list, scored in 27 coarse classes.

    Args:
        data_root: folder holding ``curated/``, ``images/`` and ``stuffthingmaps_trainval2017/``.
        split: ``'val2017'`` or ``'train2017'``.
        list_file: the id list, relative to ``data_root``; defaults to PiCIE's
            ``curated/<split>/Coco164kFull_Stuff_Coarse_7.txt`` (2175 ids for val2017).
        **kwargs: see :class:`ListedImageDataset`.
    """

    METAINFO: ClassVar[dict[str, Any]] = {
        'dataset_name': 'cocostuff27',
        'classes': tuple(cocostuff27_meta()['coarse_names']),
    }

    def __init__(
        self,
        data_root: str = 'data/cocostuff',
        split: str = 'val2017',
        list_file: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.split = split
        self.list_file = list_file or f'curated/{split}/Coco164kFull_Stuff_Coarse_7.txt'
        super().__init__(data_root=data_root, **kwargs)

    def list_samples(self) -> list[dict[str, Any]]:
        ids = read_id_list(self.root / self.list_file)
        gt_dir = self.root / 'stuffthingmaps_trainval2017' / self.split
        samples = []
        for i in ids:
            gt = gt_dir / f'{i}.png'
            samples.append(
                {
                    'img_id': i,
                    'img_path': str(self.root / 'images' / self.split / f'{i}.jpg'),
                    'gt_path': str(gt) if gt.is_file() else None,
                }
            )
        return samples

    def load_ground_truth(self, info: dict[str, Any]) -> np.ndarray:
        """(H, W) uint8 coarse classes 0..26, 255 unlabelled."""
        return load_cocostuff_ground_truth(self._require_gt(info))

    def report_subset(
        self, images: int, ids: Sequence[str] | None, work_dir: Path, write: bool
    ) -> ReportSubset:
        """The split's images present with their labels, listed (if ``write``) in
        ``<work_dir>/lists/`` and counted against the curated list (the report's ``images`` /
        ``ids`` choose BSDS500 images only)."""
        from dynaseg.utils.fileio import save_text

        folder = ImageFolderDataset(str(self.root / 'images' / self.split), lazy_init=True)
        try:
            present = sorted(sample['img_id'] for sample in folder.list_samples())
        except NotADirectoryError:  # the dataset is absent: no image is present
            present = []
        with tempfile.TemporaryDirectory() as tmp:
            candidates = Path(tmp) / 'images.txt'
            candidates.write_text(''.join(f'{i}\n' for i in present))
            listed = type(self)(str(self.root), self.split, str(candidates), lazy_init=True)
            labelled = [s['img_id'] for s in listed.list_samples() if s['gt_path'] is not None]
        try:
            curated = {sample['img_id'] for sample in self.list_samples()}
        except FileNotFoundError:  # no curated list: none of them is in it
            curated = set()
        name = self.METAINFO['dataset_name']
        path = Path(work_dir).absolute() / 'lists' / f'{name}_{self.split}_present.txt'
        if write:
            save_text(path, ''.join(f'{i}\n' for i in labelled))
        in_curated = sum(i in curated for i in labelled)
        return ReportSubset(
            f'{self.split}_present',
            f'the {len(labelled)} {self.split} images present with labels '
            f'({" ".join(labelled)}); {in_curated} of them in the curated 2,175-id list',
            f'{len(labelled)} COCO images',
            {'dataset.list_file': str(path)},
            len(labelled),
        )

    @classmethod
    def report_scores(cls, metrics: Metrics) -> list[ScoreCell]:
        """Per protocol (a) / (b) / (c): mIoU / thing mIoU / stuff mIoU / pixel accuracy, in
        percent."""
        return [
            ScoreCell(tuple(metric(metrics, prefix, k) for k in PROTOCOL_SCORES), 2, 100)
            for prefix in PROTOCOL_PREFIXES
        ]
