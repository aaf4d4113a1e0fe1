"""Kim et al.'s reference-image mode as a segmentor: one network trained over a set of images,
then one forward pass per image (no per-image optimisation)."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from dynaseg.engine import OptimizationRecord
from dynaseg.engine.reference_image import (
    ReferenceTrainRecord,
    load_reference_checkpoint,
    reference_segment,
    train_reference,
)
from dynaseg.registry import MODELS

from .base import DynaSegBase, parse_num_segments

#: Config keys of the per-image mode that mean nothing for one forward pass per image.
PER_IMAGE_KEYS = (
    'schedule',
    'silhouette',
    'channels_last',
    'tune_allocator',
    'scribble',
    'init_checkpoint',
    'consensus',
)


def reference_image_config(model_cfg: Any, checkpoint: str | None) -> dict:
    """A DynaSeg model config turned into a :class:`DynaSegReferenceImage` one.

    Keeps the extractor, loss, optimiser, seed and preprocessing, drops the per-image-only keys
    and sets ``reference.checkpoint`` (None = to be trained). Already a reference-image config:
    only the checkpoint changes.
    """
    cfg = {k: copy.deepcopy(v) for k, v in dict(model_cfg).items() if k not in PER_IMAGE_KEYS}
    cfg['type'] = 'DynaSegReferenceImage'
    cfg['reference'] = dict(cfg.get('reference') or {}, checkpoint=checkpoint)
    return cfg


@MODELS.register_module()
class DynaSegReferenceImage(DynaSegBase):
    """Reference-image mode (Kim et al.): the resident extractor labels every image in one pass.

    Train it with :meth:`train_reference` (``tools/train_reference.py``), or load a checkpoint
    that training wrote; until then :meth:`segment` refuses.

    Args:
        backbone, loss, optimizer, seed, relabel, data_preprocessor: see
            :class:`~dynaseg.models.segmentors.base.DynaSegBase`.
        reference: ``dict(checkpoint=None, max_pixels=40000, bn_stats='batch')``: the trained
            network's file, the size cap of training and inference (a few-pixel receptive field
            is scale-dependent), and whose statistics BatchNorm uses at inference
            (see :func:`~dynaseg.engine.reference_image.reference_segment`).
        num_segments: ``'auto'`` (default): the argmax of the forward's response; an int K:
            exactly K labels from that response, by the per-image mode's segment-count control
            (``dynaseg/engine/segment_count.py``; fewer only if the image has fewer distinct
            response vectors, with a warning in the record).

    The per-image keys (:data:`PER_IMAGE_KEYS`: schedule, consensus, ...) are refused with a
    ``ValueError``; :func:`reference_image_config` drops them from a per-image config.
    """

    def __init__(
        self, reference: dict | None = None, num_segments: int | str = 'auto', **kwargs
    ) -> None:
        per_image = sorted(set(kwargs) & set(PER_IMAGE_KEYS))
        if per_image:
            raise ValueError(
                f'{", ".join(per_image)}: per-image optimisation settings, meaningless for one '
                'forward pass per image (reference-image mode); remove them, or build the '
                'config with reference_image_config, which drops them'
            )
        super().__init__(**kwargs)
        self.num_segments = parse_num_segments(num_segments)
        self.reference_cfg: dict[str, Any] = dict(
            checkpoint=None, max_pixels=40_000, bn_stats='batch'
        )
        self.reference_cfg.update(reference or {})
        self.trained = bool(self.reference_cfg['checkpoint'])
        if self.trained:
            load_reference_checkpoint(self.backbone, self.reference_cfg['checkpoint'])

    def segment(
        self,
        image: Tensor,
        *,
        on_iteration: Callable[[int, int], None] | None = None,
        scribble: np.ndarray | Tensor | None = None,
    ) -> tuple[np.ndarray, OptimizationRecord]:
        """One forward pass of the trained extractor on a normalised image (1, 3, H, W).

        ``on_iteration`` is never called (nothing is optimised); scribbles are refused, as they
        guide a per-image optimisation.
        """
        if scribble is not None:
            raise ValueError(
                'scribbles guide the per-image optimisation; reference mode '
                '(one forward pass of a trained network) cannot use them'
            )
        if not self.trained:
            raise RuntimeError(
                'the reference-image network is untrained: set model.reference.checkpoint '
                '(tools/train_reference.py writes one) or call train_reference first'
            )
        start = time.perf_counter()
        record = OptimizationRecord(stop_reason='reference_forward')
        labels = reference_segment(
            self.backbone,
            image,
            max_pixels=self.reference_cfg['max_pixels'],
            bn_stats=self.reference_cfg['bn_stats'],
            num_segments=self.num_segments,
            record=record,
        )
        labels_np = self.finish(labels.cpu().numpy())
        record.seconds = time.perf_counter() - start
        return labels_np, record

    def train_reference(
        self,
        images: list[Tensor],
        iters: int,
        max_pixels: int | None = None,
        on_iteration: Callable[[int, float, int], None] | None = None,
    ) -> ReferenceTrainRecord:
        """Train the resident extractor over ``images`` (each (1, 3, H, W), normalised).

        Re-initialises it with :attr:`seed` (same seed, same network), then runs
        :func:`~dynaseg.engine.reference_image.train_reference` with this model's loss and
        optimiser; ``max_pixels`` defaults to ``reference.max_pixels`` so training and inference
        see the same scale. Afterwards :meth:`segment` labels images with it.
        """
        device = next(self.backbone.parameters()).device
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.backbone = self.build_extractor().to(device)
        cap = self.reference_cfg['max_pixels'] if max_pixels is None else max_pixels
        record = train_reference(
            self.backbone,
            self.loss_fn,
            [x.to(device) for x in images],
            self.optimizer_cfg,
            iters=iters,
            max_pixels=cap,
            seed=self.seed,
            on_iteration=on_iteration,
        )
        self.trained = True
        return record
