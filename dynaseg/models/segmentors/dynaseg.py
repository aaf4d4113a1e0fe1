"""DynaSeg as an MMSegmentation segmentor: ``segment`` optimises a fresh network per image."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from dynaseg.engine import (
    NonFiniteBatchError,
    OptimizationRecord,
    Schedule,
    SilhouetteConfig,
    optimize_batch,
    optimize_image,
)
from dynaseg.engine.consensus import Consensus, medoid
from dynaseg.engine.precision import check_precision
from dynaseg.engine.reference_image import load_reference_checkpoint
from dynaseg.engine.stack import cnn_layers
from dynaseg.registry import MODELS

from .base import DynaSegBase, parse_num_segments


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
        precision: ``'fp32'`` (default), ``'tf32'`` or ``'bf16'``; compile_extractor: False
            (default), True or a ``torch.compile`` backend name. GPU levers of the engine
            (``dynaseg/engine/precision.py``); the fp32 default runs exactly as without them.
        num_segments: ``'auto'`` (default): the schedule's rule decides the label count; an
            int K: exactly K labels (``dynaseg/engine/segment_count.py``; fewer only if the
            image has fewer distinct response vectors, with a warning in the record).
        consensus: None (default), or ``dict(seeds=3, rule='medoid')``: optimise each image
            with that many seeds (seed, seed + 1, ...; batched when the extractor stacks) and
            return the medoid run (``dynaseg/engine/consensus.py``); the record is its record,
            with every seed's summary in ``seed_runs`` and the total time in ``seconds``.
    """

    def __init__(
        self,
        schedule: dict | None = None,
        silhouette: dict | None = None,
        channels_last: bool = True,
        tune_allocator: bool = True,
        scribble: dict | None = None,
        init_checkpoint: str | None = None,
        precision: str = 'fp32',
        compile_extractor: bool | str = False,
        num_segments: int | str = 'auto',
        consensus: dict | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.schedule = Schedule(**(schedule or {}))
        self.silhouette = SilhouetteConfig(**(silhouette or {}))
        self.channels_last = channels_last
        self.tune_allocator = tune_allocator
        self.precision = check_precision(precision)
        self.compile_extractor = compile_extractor
        self.num_segments = parse_num_segments(num_segments)
        self.consensus = None if consensus is None else Consensus(**consensus)
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
            seed: overrides :attr:`seed` for this image (the first seed of a consensus).
            on_iteration: called as ``on_iteration(iteration, q)`` at each checked iteration
                (of the first seed's run under a consensus).
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
        first = self.seed if seed is None else seed
        if self.consensus is None:
            return self._segment_seed(image, first, on_iteration, mask)
        return self._consensus(image, self.consensus.seeds_from(first), on_iteration, mask)

    def _segment_seed(
        self,
        image: Tensor,
        seed: int,
        on_iteration: Callable[[int, int], None] | None,
        mask: Tensor | None,
    ) -> tuple[np.ndarray, OptimizationRecord]:
        """One optimisation of ``image`` with ``seed``: finished labels and its record."""
        labels, record = optimize_image(
            image,
            self.build_extractor,
            self.loss_fn,
            self.optimizer_cfg,
            self.schedule,
            seed=seed,
            silhouette=self.silhouette,
            channels_last=self.channels_last,
            tune_allocator=self.tune_allocator,
            on_iteration=on_iteration,
            scribble=mask,
            scribble_weight=self.scribble_weight,
            precision=self.precision,
            compile_extractor=self.compile_extractor,
            num_segments=self.num_segments,
        )
        return self.finish(labels), record

    def _consensus(
        self,
        image: Tensor,
        seeds: list[int],
        on_iteration: Callable[[int, int], None] | None,
        mask: Tensor | None,
    ) -> tuple[np.ndarray, OptimizationRecord]:
        """Run every seed (together when the extractor stacks and there is no scribble), then
        return the medoid run's labels and record, with each run's summary in ``seed_runs``."""

        def first_run(index: int, iteration: int, q: int) -> None:
            if on_iteration is not None and index == 0:
                on_iteration(iteration, q)

        if mask is None and self._stack_unsupported_reason() is None:
            runs = self._segment_stacked([image] * len(seeds), seeds, first_run)
        else:
            runs = [
                self._segment_seed(image, s, on_iteration if i == 0 else None, mask)
                for i, s in enumerate(seeds)
            ]
        chosen, mean_vi = medoid([labels for labels, _ in runs])
        summaries = [
            dict(
                seed=s,
                chosen=i == chosen,
                mean_vi=vi,
                num_labels=int(len(np.unique(labels))),
                iterations=record.iterations,
                stop_reason=record.stop_reason,
                seconds=record.seconds,
            )
            for i, (s, vi, (labels, record)) in enumerate(zip(seeds, mean_vi, runs))
        ]
        labels, record = runs[chosen]
        seconds = sum(r.seconds for _, r in runs)
        return labels, dataclasses.replace(record, seconds=seconds, seed_runs=summaries)

    def batch_unsupported_reason(self) -> str | None:
        """Why :meth:`segment_batch` cannot run this model's images together, or None.

        Batching stacks N plain CNNs into grouped convolutions (``dynaseg/engine/stack.py``);
        other extractors (ResNet-18 + FPN) are optimised one image at a time. Under a
        consensus of seeds, :meth:`segment` batches each image's seeds instead.
        """
        if self.consensus is not None:
            return f'a consensus of {self.consensus.seeds} seeds batches the seeds of each image'
        return self._stack_unsupported_reason()

    def _stack_unsupported_reason(self) -> str | None:
        """Why the extractor cannot be stacked (it is not a plain CNN), or None."""
        try:
            cnn_layers(self.backbone)
        except ValueError:
            return (
                f'the {type(self.backbone).__name__} extractor cannot be stacked '
                '(only plain CNNs such as DynaSegCNN can)'
            )
        return None

    def segment_batch(
        self,
        images: Sequence[Tensor],
        seeds: Sequence[int] | None = None,
        on_iteration: Callable[[int, int, int], None] | None = None,
    ) -> list[tuple[np.ndarray, OptimizationRecord]]:
        """Segment N same-size normalised images (1, 3, H, W) together, one network each.

        Image n gets the network, stopping rule and record :meth:`segment` would give it with
        ``seeds[n]`` (default: :attr:`seed` for every image); the labels agree with it to
        floating-point tolerance. No scribbles: guided images go through :meth:`segment`.

        Args:
            on_iteration: called as ``on_iteration(index, iteration, q)``.
        Raises:
            ValueError: the extractor cannot be stacked (:meth:`batch_unsupported_reason`)
                or the sizes differ.
            NonFiniteBatchError: some images diverged; ``results`` holds every other
                image's finished labels and record (``(None, record)`` for a diverged one).
        """
        reason = self.batch_unsupported_reason()
        if reason is not None:
            raise ValueError(f'cannot segment a batch: {reason}')
        return self._segment_stacked(images, seeds, on_iteration)

    def _segment_stacked(
        self,
        images: Sequence[Tensor],
        seeds: Sequence[int] | None,
        on_iteration: Callable[[int, int, int], None] | None,
    ) -> list[tuple[np.ndarray, OptimizationRecord]]:
        """:meth:`segment_batch` once the extractor is known to stack (also a consensus's runs)."""
        seeds = [self.seed] * len(images) if seeds is None else list(seeds)
        try:
            results = optimize_batch(
                images,
                self.build_extractor,
                self.loss_fn,
                self.optimizer_cfg,
                self.schedule,
                seeds,
                silhouette=self.silhouette,
                channels_last=self.channels_last,
                tune_allocator=self.tune_allocator,
                on_iteration=on_iteration,
                precision=self.precision,
                compile_extractor=self.compile_extractor,
                num_segments=self.num_segments,
            )
        except NonFiniteBatchError as error:
            error.results = [
                (None if labels is None else self.finish(labels), record)
                for labels, record in error.results
            ]
            raise
        return [(self.finish(labels), record) for labels, record in results]
