"""Kim et al.'s best-match segment mIoU as an mmengine metric (BSDS500 or PASCAL VOC 2012)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from mmengine.evaluator import BaseMetric

from dynaseg.registry import METRICS

from ..functional.io import load_bsds_ground_truth, load_voc_ground_truth
from ..functional.kim_miou import BSDS_MODES, kim_image_scores, pooled_miou
from ._sample import ground_truth_path, prediction_at_size

VOC_IGNORE_INDEX = 255


@METRICS.register_module()
class KimSegmentMIoU(BaseMetric):
    """Pooled best-match segment mIoU over all ground-truth segments of all images.

    Args:
        dataset: ``'bsd500'`` (``.mat`` / Kim CSV annotations, chosen by ``mode``) or
            ``'voc'`` (one object- or class-mask PNG, 255 ignored).
        mode: BSDS500 annotations scored: 1 all, 2 fine (most segments), 3 coarse (fewest).
        relabel: split disconnected regions of a predicted label into separate segments.
        resize_pred: nearest-neighbour resize a prediction to its ground truth's size;
            otherwise a size mismatch raises.
        collect_device: passed to :class:`mmengine.evaluator.BaseMetric`.
        prefix: metric-name prefix; defaults to ``'kim'``.
    """

    default_prefix = 'kim'

    def __init__(
        self,
        dataset: str = 'bsd500',
        mode: int = 1,
        relabel: bool = True,
        resize_pred: bool = False,
        collect_device: str = 'cpu',
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if dataset not in ('bsd500', 'voc'):
            raise ValueError(f"dataset must be 'bsd500' or 'voc', got {dataset!r}")
        if mode not in BSDS_MODES:
            raise ValueError(f'mode must be 1 (all), 2 (fine) or 3 (coarse), got {mode}')
        self.dataset = dataset
        self.mode = mode
        self.relabel = relabel
        self.resize_pred = resize_pred

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            gt_path = ground_truth_path(sample)
            if self.dataset == 'voc':
                gts = [load_voc_ground_truth(gt_path)]
            else:
                gts = load_bsds_ground_truth(gt_path)
            pred = prediction_at_size(sample, gts[0].shape, self.resize_pred)
            self.results.append(
                kim_image_scores(
                    pred,
                    gts,
                    mode=self.mode,
                    relabel=self.relabel,
                    ignore_index=VOC_IGNORE_INDEX if self.dataset == 'voc' else None,
                )
            )

    def compute_metrics(self, results: list[np.ndarray]) -> dict[str, float]:
        return dict(pooled_miou(results))

    def image_scores(self, result: np.ndarray) -> dict[str, float]:
        """One image's mean best-match IoU over its ground-truth segments, and their count.

        ``result`` is the image's per-segment IoUs (what :meth:`process` appended); an image
        without a scored segment has mIoU NaN.
        """
        segments = np.asarray(result, np.float64)
        return {
            'mIoU': float(segments.mean()) if segments.size else math.nan,
            'num_segments': int(segments.size),
        }
