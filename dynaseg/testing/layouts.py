"""Tiny dataset layouts on disk, drawn from :func:`~.synthetic.piecewise_image`: what the tests
and the tools' smoke runs segment and score in seconds (no download)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .synthetic import piecewise_image

__all__ = ['COCO_LIST', 'REGION_FINE_IDS', 'make_bsds', 'make_cocostuff']

#: Fine COCO-Stuff ids given to the four regions of piecewise_image: two things, a stuff
#: class and the unlabelled value.
REGION_FINE_IDS = np.array([0, 2, 150, 255], np.uint8)
#: The curated id list :func:`make_cocostuff` writes (the COCO-Stuff-27 configs read it).
COCO_LIST = 'curated/val2017/Coco164kFull_Stuff_Coarse_7.txt'


def make_bsds(
    root: Path, ids: Sequence[str], size: tuple[int, int] = (24, 32), split: str = 'test'
) -> Path:
    """A BSDS500 layout: ``images/<split>/*.jpg`` and ``groundTruth/<split>/*.mat`` with two
    annotations each, a fine one (the four regions) and a coarse one (left / right halves).

    Args:
        root: the folder to create (its parents too); returned.
        ids: the image ids, image ``i`` drawn with seed ``i``.
        size: (height, width) of every image.
        split: the split folder the images go in.
    """
    import scipy.io
    from PIL import Image

    (root / 'images' / split).mkdir(parents=True)
    (root / 'groundTruth' / split).mkdir(parents=True)
    for seed, img_id in enumerate(ids):
        image, regions = piecewise_image(*size, seed=seed)
        Image.fromarray(image).save(root / 'images' / split / f'{img_id}.jpg', quality=95)
        cells = np.empty((1, 2), dtype=object)
        cells[0, 0] = {'Segmentation': (regions + 1).astype(np.uint16)}
        cells[0, 1] = {'Segmentation': np.where(regions % 2 == 0, 1, 2).astype(np.uint16)}
        scipy.io.savemat(root / 'groundTruth' / split / f'{img_id}.mat', {'groundTruth': cells})
    return root


def make_cocostuff(
    root: Path,
    present: Sequence[str],
    absent: Sequence[str] = (),
    size: tuple[int, int] = (24, 32),
) -> Path:
    """A COCO-Stuff layout: ``images/val2017/*.jpg``, fine stuffthingmaps, and a curated id
    list naming ``present`` and ``absent`` (listed, with no file: a missing image)."""
    import cv2
    from PIL import Image

    for folder in ('images/val2017', 'stuffthingmaps_trainval2017/val2017', 'curated/val2017'):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for seed, img_id in enumerate(present):
        image, regions = piecewise_image(*size, seed=seed)
        Image.fromarray(image).save(root / 'images' / 'val2017' / f'{img_id}.jpg', quality=95)
        cv2.imwrite(
            str(root / 'stuffthingmaps_trainval2017' / 'val2017' / f'{img_id}.png'),
            REGION_FINE_IDS[regions],
        )
    (root / COCO_LIST).write_text('\n'.join([*present, *absent]) + '\n')
    return root
