"""Registered evaluation datasets: BSDS500, PASCAL VOC 2012, COCO-Stuff-27 and plain folders."""

# mmseg's transforms (LoadImageFromFile, PackSegInputs, ...) register on import; child
# registries look names up in their parents but never trigger the parents' lazy imports.
import mmseg.datasets.transforms  # noqa: F401

from .base import ListedImageDataset
from .bsds500 import BSDS500Dataset
from .cocostuff import CocoStuff27Dataset
from .image_folder import ImageFolderDataset
from .voc import VOC2012SegmentDataset

__all__ = [
    'BSDS500Dataset',
    'CocoStuff27Dataset',
    'ImageFolderDataset',
    'ListedImageDataset',
    'VOC2012SegmentDataset',
]
