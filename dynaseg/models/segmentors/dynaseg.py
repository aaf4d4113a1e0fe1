"""DynaSeg as an MMSegmentation segmentor: ``segment`` optimises a fresh network per image."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from dynaseg.engine import NonFiniteBatchError, OptimizationRecord, optimize_batch, optimize_image
from dynaseg.engine.consensus import medoid
from dynaseg.engine.stack import cnn_layers
from dynaseg.registry import MODELS

from .base import DynaSegBase


@MODELS.register_module()
class DynaSeg(DynaSegBase):
    """Unsupervised segmentation by per-image optimisation (Kim et al. 2020; DynaSeg 2024).

    Args:
        backbone, loss, optimizer, seed, relabel, checkpoint, data_preprocessor: see
            :class:`~dynaseg.models.segmentors.base.DynaSegBase`; a new extractor is built,
            seeded (and loaded from ``checkpoint``, a warm start) for every image.
        **engine: the per-image loop's options, read once into :attr:`engine`
            (:class:`~dynaseg.engine.EngineSettings`): ``schedule`` (iterations, stopping,
            resolutions), ``silhouette``, ``num_segments`` (``'auto'`` or exactly K labels),
            ``scribble=dict(weight=0.5)`` (Kim's ``stepsize_scr``; masks are passed per image
            to :meth:`segment`), ``consensus``, and the speed switches ``precision``,
            ``compile_extractor``, ``channels_last``, ``tune_allocator``.

    With ``consensus=dict(seeds=3, rule='medoid')`` each image is optimised with that many seeds
    (seed, seed + 1, ...; batched when the extractor stacks) and the medoid run is returned
    (``dynaseg/engine/consensus.py``); the record is its record, with every seed's summary in
    ``seed_runs`` and the total time in ``seconds``.
    """

    def segment(
        self,
        image: Tensor,
        seed: int | None = None,
        on_iteration: Callable[[int, int], None] | None = None,
        scribble: np.ndarray | Tensor | None = None,
        on_response: Callable[[Tensor], None] | None = None,
    ) -> tuple[np.ndarray, OptimizationRecord]:
        """Segment one normalised image (1, 3, H, W); return labels (H, W) and the record.

        Args:
            seed: overrides :attr:`seed` for this image (the first seed of a consensus).
            on_iteration: called as ``on_iteration(iteration, q)`` at each checked iteration
                (of the first seed's run under a consensus).
            scribble: optional (H, W) integer mask, already validated where it was read
                (``dynaseg.utils.scribble_io``): 255 = no scribble, other values = the label
                (response channel, < :attr:`q_max`) those pixels must take.
            on_response: called with the final response (1, q_max, h, w) the labels are the
                argmax of (``optimize_image``); not with a consensus of seeds, whose chosen
                run is known only at the end.
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
        consensus = self.engine.consensus
        if consensus is None:
            return self._segment_seed(image, first, on_iteration, mask, on_response)
        if on_response is not None:
            raise ValueError('the final response is not kept under a consensus of seeds')
        return self._consensus(image, consensus.seeds_from(first), on_iteration, mask)

    def segment_keeping_response(
        self, image: Tensor, on_iteration: Callable[[int, int], None] | None
    ) -> tuple[np.ndarray, OptimizationRecord, Tensor]:
        """:meth:`segment` and the final response (1, q_max, h, w) its labels come from."""
        kept: list[Tensor] = []
        labels, record = self.segment(image, on_iteration=on_iteration, on_response=kept.append)
        return labels, record, kept[0]

    def _segment_seed(
        self,
        image: Tensor,
        seed: int,
        on_iteration: Callable[[int, int], None] | None,
        mask: Tensor | None,
        on_response: Callable[[Tensor], None] | None = None,
    ) -> tuple[np.ndarray, OptimizationRecord]:
        """One optimisation of ``image`` with ``seed``: finished labels and its record."""
        labels, record = optimize_image(
            image,
            self.build_extractor,
            self.loss_fn,
            self.optimizer_cfg,
            self.engine,
            seed=seed,
            on_iteration=on_iteration,
            scribble=mask,
            on_response=on_response,
        )
        return self.finish(labels, image, guided=mask is not None), record

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
        consensus = self.engine.consensus
        if consensus is not None:
            return f'a consensus of {consensus.seeds} seeds batches the seeds of each image'
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
                self.engine,
                seeds,
                on_iteration=on_iteration,
            )
        except NonFiniteBatchError as error:
            error.results = [
                (None if labels is None else self.finish(labels, image), record)
                for image, (labels, record) in zip(images, error.results)
            ]
            raise
        return [
            (self.finish(labels, image), record) for image, (labels, record) in zip(images, results)
        ]
