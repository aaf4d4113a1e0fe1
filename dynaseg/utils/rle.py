"""Label maps as per-region masks in COCO's RLE JSON (pycocotools), which annotation tools
(CVAT, Label Studio, COCO's own API) import.

One JSON file per image, COCO's annotation fields for each region::

    {"image": "photo.jpg", "height": H, "width": W,
     "regions": [{"id": 0, "area": 1234, "bbox": [x, y, w, h],
                  "segmentation": {"size": [H, W], "counts": "..."}}, ...]}
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from .fileio import save_json


def region_masks(labels: np.ndarray) -> list[dict[str, Any]]:
    """One COCO RLE annotation per label of ``labels`` (H, W), in increasing label order."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f'expected an (H, W) label map, got shape {labels.shape}')
    regions = []
    for label in np.unique(labels):
        mask = np.asfortranarray((labels == label).astype(np.uint8))
        rle = coco_mask.encode(mask)
        regions.append(
            {
                'id': int(label),
                'area': int(coco_mask.area(rle)),
                'bbox': [int(v) for v in coco_mask.toBbox(rle)],
                'segmentation': {
                    'size': [int(s) for s in rle['size']],
                    'counts': rle['counts'].decode('ascii'),
                },
            }
        )
    return regions


def save_region_masks(
    path: str | os.PathLike[str], labels: np.ndarray, image: str | None = None
) -> None:
    """Write :func:`region_masks` of ``labels`` to ``path`` (JSON, atomically)."""
    height, width = np.asarray(labels).shape
    save_json(
        path, {'image': image, 'height': height, 'width': width, 'regions': region_masks(labels)}
    )
