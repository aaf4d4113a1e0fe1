"""COCO-Stuff-27 evaluation images: the PiCIE curated val2017 list with stuffthingmaps labels."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from dynaseg.evaluation.functional.cocostuff import cocostuff27_meta
from dynaseg.evaluation.functional.io import load_cocostuff_ground_truth
from dynaseg.registry import DATASETS

from .base import ListedImageDataset, read_id_list


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
