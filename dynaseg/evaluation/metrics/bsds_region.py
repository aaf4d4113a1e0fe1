"""BSDS500 region benchmarks (PRI, VOI, segmentation covering) as an mmengine metric."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from mmengine.evaluator import BaseMetric

from dynaseg.registry import METRICS
from dynaseg.utils.labels import relabel_connected_components

from ..functional.bsds_bench import image_region_scores
from ..functional.io import load_bsds_ground_truth
from ._sample import ground_truth_path, prediction_at_size


@METRICS.register_module()
class BSDSRegionMetric(BaseMetric):
    """PRI, VOI and covering of one segmentation per image, as the BSDS500 bench defines them.

    With one segmentation per image the bench's ODS and OIS coincide. ``covering`` is
    the ground truth covered by the segmentation (the bench's headline number),
    ``covering_reverse`` the segmentation covered by the ground truth.

    Args:
        relabel: split disconnected regions of a predicted label into separate segments
            first, so regions are connected as in the bench's inputs.
        resize_pred: nearest-neighbour resize a prediction to its ground truth's size.
        collect_device: passed to :class:`mmengine.evaluator.BaseMetric`.
        prefix: metric-name prefix; defaults to ``'bsds'``.
    """

    default_prefix = 'bsds'

    def __init__(
        self,
        relabel: bool = True,
        resize_pred: bool = False,
        collect_device: str = 'cpu',
        prefix: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.relabel = relabel
        self.resize_pred = resize_pred

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            gts = load_bsds_ground_truth(ground_truth_path(sample))
            pred = prediction_at_size(sample, gts[0].shape, self.resize_pred)
            if self.relabel:
                pred = relabel_connected_components(pred)
            # The bench's regions are labels 1..max; label 0 would be "unlabelled".
            seg = np.asarray(pred, np.int64) - int(pred.min()) + 1
            self.results.append(image_region_scores(seg, gts))

    def compute_metrics(self, results: list[dict[str, float]]) -> dict[str, float]:
        table = {k: np.array([r[k] for r in results]) for k in results[0]}
        return {
            'PRI': float(table['pri'].mean()),
            'VOI': float(table['voi'].mean()),
            'covering': float(table['cnt_r'].sum() / table['sum_r'].sum()),
            'covering_reverse': float(table['cnt_p'].sum() / table['sum_p'].sum()),
            'num_images': len(results),
        }

    def image_scores(self, result: dict[str, float]) -> dict[str, float]:
        """One image's PRI, VOI and covering from the result :meth:`process` appended for it.

        Covering is NaN for an image whose ground truth has no region (``sum_r`` = 0).
        """
        covering = result['cnt_r'] / result['sum_r'] if result['sum_r'] else math.nan
        return {
            'PRI': float(result['pri']),
            'VOI': float(result['voi']),
            'covering': float(covering),
        }
