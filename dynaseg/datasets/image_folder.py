"""A plain folder of images without ground truth (segmentation only, nothing to score)."""

from __future__ import annotations

from typing import Any, ClassVar

from dynaseg.registry import DATASETS
from dynaseg.utils.image_io import list_images

from .base import ListedImageDataset


@DATASETS.register_module()
class ImageFolderDataset(ListedImageDataset):
    """Every image file in ``data_root`` (optionally its sub-folders); ``gt_path`` is None.

    ``img_id`` is the path relative to ``data_root`` without its suffix, so images in
    different sub-folders keep distinct ids.

    Args:
        data_root: the image folder.
        recursive: also list sub-folders.
        **kwargs: see :class:`ListedImageDataset`.
    """

    METAINFO: ClassVar[dict[str, Any]] = {'dataset_name': 'image_folder'}

    def __init__(self, data_root: str = '', recursive: bool = False, **kwargs: Any) -> None:
        self.recursive = recursive
        super().__init__(data_root=data_root, **kwargs)

    def list_samples(self) -> list[dict[str, Any]]:
        images, _ = list_images(self.root, recursive=self.recursive)
        return [
            {
                'img_id': p.relative_to(self.root).with_suffix('').as_posix(),
                'img_path': str(p),
                'gt_path': None,
            }
            for p in images
        ]

    def load_ground_truth(self, info: dict[str, Any]) -> None:
        """Always None: a plain folder has no ground truth."""
        return
