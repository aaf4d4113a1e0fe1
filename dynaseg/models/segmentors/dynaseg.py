"""DynaSeg as an MMSegmentation segmentor: ``segment`` optimises a fresh network per image."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from dynaseg.engine import OptimizationRecord, Schedule, SilhouetteConfig, optimize_image
from dynaseg.engine.reference_image import load_reference_checkpoint
from dynaseg.registry import MODELS

from .base import DynaSegBase


@MODELS.register_module()
class DynaSeg(DynaSegBase):
    """Unsupervised segmentation by per-image optimisation (Kim et al. 2020; DynaSeg 2024).

    Args:
        backbone, loss, optimizer, seed, relabel, data_preprocessor: see
            :class:`~dynaseg.models.segmentors.base.DynaSegBase`; a new extractor is built and
            seeded for every image.
        schedule: :class:`~dynaseg.engine.Schedule` fields (iterations, stopping, resolutions).
        silhouette: :class:`~dynaseg.engine.SilhouetteConfig` fields.
        channels_last, tune_allocator: speed switches of the engine (no effect on the method).
        scribble: scribble guidance settings, ``dict(weight=0.5)`` (Kim's ``stepsize_scr``);
            masks are passed per image to :meth:`segment`.
        init_checkpoint: optional state_dict file of the extractor (for example a network
            trained in reference-image mode); every image's optimisation starts from it instead
            of the seeded random initialisation. A relative path is taken from the current
            directory when the segmentor is built.
    """

    def __init__(
        self,
        schedule: dict | None = None,
        silhouette: dict | None = None,
        channels_last: bool = True,
        tune_allocator: bool = True,
        scribble: dict | None = None,
        init_checkpoint: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.schedule = Schedule(**(schedule or {}))
        self.silhouette = SilhouetteConfig(**(silhouette or {}))
        self.channels_last = channels_last
        self.tune_allocator = tune_allocator
        self.scribble_weight = float((scribble or {}).get('weight', 0.5))
        self.init_checkpoint = None if init_checkpoint is None else os.path.abspath(init_checkpoint)
        if self.init_checkpoint is not None and not os.path.isfile(self.init_checkpoint):
            raise FileNotFoundError(f'init checkpoint {self.init_checkpoint!r} does not exist')

    def build_extractor(self) -> nn.Module:
        """A fresh extractor: seeded random weights, then ``init_checkpoint`` if one is set."""
        extractor = super().build_extractor()
        if self.init_checkpoint is not None:
            load_reference_checkpoint(extractor, self.init_checkpoint, what='init checkpoint')
        return extractor

    def segment(
        self,
        image: Tensor,
        seed: int | None = None,
        on_iteration: Callable[[int, int], None] | None = None,
        scribble: np.ndarray | Tensor | None = None,
    ) -> tuple[np.ndarray, OptimizationRecord]:
        """Segment one normalised image (1, 3, H, W); return labels (H, W) and the record.

        Args:
            seed: overrides :attr:`seed` for this image.
            on_iteration: called as ``on_iteration(iteration, q)`` at each checked iteration.
            scribble: optional (H, W) integer mask, already validated where it was read
                (``dynaseg.utils.scribble_io``): 255 = no scribble, other values = the label
                (response channel, < :attr:`q_max`) those pixels must take.
        """
        mask = None
        if scribble is not None:
            mask = torch.as_tensor(scribble, dtype=torch.long)
            if tuple(mask.shape) != tuple(image.shape[-2:]):
                raise ValueError(
                    f'scribble mask of shape {tuple(mask.shape)} for an image of size '
                    f'{tuple(image.shape[-2:])}'
                )
        labels, record = optimize_image(
            image,
            self.build_extractor,
            self.loss_fn,
            self.optimizer_cfg,
            self.schedule,
            seed=self.seed if seed is None else seed,
            silhouette=self.silhouette,
            channels_last=self.channels_last,
            tune_allocator=self.tune_allocator,
            on_iteration=on_iteration,
            scribble=mask,
            scribble_weight=self.scribble_weight,
        )
        return self.finish(labels), record
