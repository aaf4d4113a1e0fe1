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

from dynaseg.engine import EngineSettings, OptimizationRecord
from dynaseg.engine.reference_image import ReferenceTrainRecord, reference_segment, train_reference
from dynaseg.registry import MODELS

from .base import DynaSegBase, refuse_moved_keys


def reference_image_config(model_cfg: Any, checkpoint: str | None) -> dict:
    """A DynaSeg model config turned into a :class:`DynaSegReferenceImage` one.

    Keeps the extractor, loss, optimiser, seed and preprocessing and the engine options one
    forward pass honours, drops the other engine options (the per-image optimisation's) and
    sets ``checkpoint`` (None = to be trained). Already a reference-image config: only the
    checkpoint changes.
    """
    per_image = set(EngineSettings.config_keys()) - set(EngineSettings.config_keys(one_pass=True))
    cfg = {k: copy.deepcopy(v) for k, v in dict(model_cfg).items() if k not in per_image}
    cfg['type'] = 'DynaSegReferenceImage'
    cfg['checkpoint'] = checkpoint
    return cfg


@MODELS.register_module()
class DynaSegReferenceImage(DynaSegBase):
    """Reference-image mode (Kim et al.): the resident extractor labels every image in one pass.

    Train it with :meth:`train_reference` (``tools/train_reference.py``), or load the weights
    that training wrote (``model.checkpoint``); until then :meth:`segment` refuses.

    Args:
        backbone, loss, optimizer, seed, relabel, checkpoint, data_preprocessor: see
            :class:`~dynaseg.models.segmentors.base.DynaSegBase`; ``checkpoint`` is the trained
            network.
        reference: ``dict(max_pixels=40000, bn_stats='batch')``: the size cap of training and
            inference (a few-pixel receptive field is scale-dependent), and whose statistics
            BatchNorm uses at inference
            (see :func:`~dynaseg.engine.reference_image.reference_segment`).
        **engine: of the engine's options only those one forward pass honours
            (``EngineSettings.config_keys(one_pass=True)``): ``num_segments``, ``'auto'``
            (default) for the argmax of the forward's response, or K for exactly K labels from
            it by the per-image mode's segment-count control (``segment_count.py``; fewer only
            if the image has fewer distinct response vectors, with a warning in the record).
            The per-image optimisation's options (schedule, consensus, precision, ...) are
            refused in one line; :func:`reference_image_config` drops them from a per-image
            config.
    """

    one_pass = True

    def __init__(self, reference: dict | None = None, **kwargs) -> None:
        refuse_moved_keys(dict(reference=reference or {}))
        super().__init__(**kwargs)
        self.reference_cfg: dict[str, Any] = dict(max_pixels=40_000, bn_stats='batch')
        self.reference_cfg.update(reference or {})
        self.trained = self.checkpoint is not None

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
                'the reference-image network is untrained: set model.checkpoint '
                '(tools/train_reference.py writes one) or call train_reference first'
            )
        start = time.perf_counter()
        record = OptimizationRecord(stop_reason='reference_forward')
        labels = reference_segment(
            self.backbone,
            image,
            max_pixels=self.reference_cfg['max_pixels'],
            bn_stats=self.reference_cfg['bn_stats'],
            num_segments=self.engine.num_segments,
            record=record,
        )
        labels_np = self.finish(labels.cpu().numpy(), image)
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

        Re-initialises it with :attr:`seed` (same seed, same network; then loads
        :attr:`checkpoint` if one is set, so training continues from it), then runs
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
