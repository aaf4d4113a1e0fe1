"""COCO-Stuff-27 Hungarian-matched mIoU and pixel accuracy as an mmengine metric."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mmengine.evaluator import BaseMetric

from dynaseg.registry import METRICS

from ..functional.cocostuff import (
    PROTOCOLS,
    ImageConfusion,
    cluster_confusion,
    cocostuff_scores,
    per_image_scores,
)
from ..functional.io import load_cocostuff_ground_truth
from ._sample import ground_truth_path, prediction_at_size

#: The letters the project notes use for the protocols.
PROTOCOL_ALIASES = {'a': 'dataset', 'b': 'per_image', 'c': 'per_image_summed'}


@METRICS.register_module()
class CocoStuffMetric(BaseMetric):
    """COCO-Stuff-27 scores under one matching protocol (never a mix).

    The ground truth is the stuffthingmaps PNG named by the sample's ``gt_path``
    (fine ids, mapped to the 27 coarse classes here). Predictions may hold any number
    of clusters with any ids.

    Args:
        protocol: ``'dataset'`` / ``'a'`` (one match over the set), ``'per_image'`` /
            ``'b'`` (match and mIoU per image, averaged), ``'per_image_summed'`` / ``'c'``
            (match per image, TP/FP/FN summed).
        resize_pred: nearest-neighbour resize a prediction to its ground truth's size.
        collect_device: passed to :class:`mmengine.evaluator.BaseMetric`.
        prefix: metric-name prefix; defaults to ``'cocostuff27'``.
    """

    default_prefix = 'cocostuff27'

    def __init__(
        self,
        protocol: str = 'per_image',
        resize_pred: bool = False,
        collect_device: str = 'cpu',
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        protocol = PROTOCOL_ALIASES.get(protocol, protocol)
        if protocol not in PROTOCOLS:
            raise ValueError(f'protocol must be one of {PROTOCOLS} (or a/b/c), got {protocol!r}')
        self.protocol = protocol
        self.resize_pred = resize_pred

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            gt = load_cocostuff_ground_truth(ground_truth_path(sample))
            pred = prediction_at_size(sample, gt.shape, self.resize_pred)
            self.results.append(cluster_confusion(pred, gt))

    def compute_metrics(self, results: list[ImageConfusion]) -> dict[str, float]:
        return dict(cocostuff_scores(results, self.protocol))

    def image_scores(self, result: ImageConfusion) -> dict[str, float] | None:
        """One image's protocol (b) scores; None under (a) and (c).

        Under (a) and (c) an image's share of the summed counts is not a score of that image.
        """
        if self.protocol != 'per_image':
            return None
        scores = per_image_scores([result])
        return {k: scores[k] for k in ('mIoU', 'thing_mIoU', 'stuff_mIoU', 'pixel_accuracy')}
