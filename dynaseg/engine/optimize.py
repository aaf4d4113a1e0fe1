"""The per-image optimisation: a fresh, seeded network is fitted to each image alone.

    for each stage (coarse, then working size) and iteration:
        r = stack(images)                                  # (N, q_max, h, w), model n on image n
        L, c, q = DynaSegLoss(r, q_floor=k_sil, scribble)  # per sample: c = argmax(r), q = #labels
        SGD step on sum(L)                                 # model n only receives dL_n
        per model: stop when q <= min_labels, or q unchanged for `patience` iterations
    labels_n = argmax(stack(images)[n]) at the input size

One image is the N = 1 case (:func:`optimize_image`, any extractor, used as it is); N same-size
images of a plain CNN are optimised together (:func:`optimize_batch`, see ``stack.py``), each
model exactly as it would be alone; images of any sizes go in same-size batches (``many.py``).
A model that meets the stopping rule of a stage leaves the forward pass (the others no longer
pay for it), and its parameters and optimiser state are restored, at the end of the stage, to
what they were when it stopped — momentum would otherwise keep moving it. At the next stage
every model resumes.

The loop (``loop.py``) is the one place that decides iterations, resolutions and stopping; the
loss and its variants live in ``dynaseg/models/losses`` (injected), the stopping rule and stage
budgets in ``schedule.py``, and every option of the loop in one
:class:`~.settings.EngineSettings`. This module holds the entry points, which check their inputs
and lay the models out for the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor, nn

from .loop import StackRun
from .record import NonFiniteBatchError, NonFiniteLossError, OptimizationRecord
from .settings import EngineSettings
from .stack import SingleModel, StackedCNN

if TYPE_CHECKING:  # the loss is injected; the engine never imports dynaseg.models at run time
    from dynaseg.models.losses import DynaSegLoss

Result = tuple[np.ndarray, OptimizationRecord]


def optimize_image(
    image: Tensor,
    extractor_factory: Callable[[], nn.Module],
    loss_fn: DynaSegLoss,
    optimizer_cfg: dict,
    settings: EngineSettings,
    *,
    seed: int = 0,
    on_iteration: Callable[[int, int], None] | None = None,
    scribble: Tensor | None = None,
    on_response: Callable[[Tensor], None] | None = None,
) -> Result:
    """Segment one image by optimising a freshly initialised extractor on it alone.

    Args:
        image: (1, 3, H, W) float, already normalised, on the target device.
        extractor_factory: builds a new, randomly initialised feature extractor.
        loss_fn: the DynaSeg loss (with its dynamic weight).
        optimizer_cfg: torch.optim class and arguments,
            e.g. ``dict(type='SGD', lr=0.1, momentum=0.9)``.
        settings: schedule, Silhouette phase, segment count, scribble weight and speed
            switches (``settings.py``); its ``consensus`` is the segmentor's business.
        seed: seeds the initialisation and the Silhouette phase; same seed, same labels.
        on_iteration: called as ``on_iteration(iteration, q)`` after each checked iteration.
        scribble: optional (H, W) int64 mask at the input size, already validated (see
            ``dynaseg.utils.scribble_io``): 255 = no scribble, other values = the response
            channel those pixels must take (Kim et al.'s scribble guidance), weighted by
            ``settings.scribble_weight``. It is resized nearest-neighbour to every stage size
            (no class is lost), and the stopping rule's ``min_labels`` becomes the number of
            scribble classes.
        on_response: called once with the final response (1, q_max, h, w) at the working
            size, the one the labels are the argmax of (a region hierarchy orders its merges
            by it, ``dynaseg/hierarchy``); not called when the loss diverged.
    Returns:
        labels (H, W) int64 at the input size, and the record of the run.
    Raises:
        NonFiniteLossError: the loss diverged; no labels are returned.
    """
    if image.ndim != 4 or image.shape[0] != 1:
        raise ValueError(f'expected one image of shape (1, C, H, W), got {tuple(image.shape)}')
    run = StackRun(extractor_factory, loss_fn, optimizer_cfg, settings)
    (labels,), (record,), failed = run(
        [image],
        [seed],
        partial(_single_model, channels_last=settings.channels_last),
        None if on_iteration is None else lambda _, it, q: on_iteration(it, q),
        scribbles=None if scribble is None else [scribble],
        on_response=None if on_response is None else lambda _, response: on_response(response),
    )
    if failed:
        raise NonFiniteLossError(
            f'loss became non-finite at iteration {sum(record.stage_iterations)} '
            '(learning rate too high?)'
        )
    assert labels is not None  # only a diverged model has none
    return labels, record


def optimize_batch(
    images: Sequence[Tensor],
    extractor_factory: Callable[[], nn.Module],
    loss_fn: DynaSegLoss,
    optimizer_cfg: dict,
    settings: EngineSettings,
    seeds: Sequence[int],
    *,
    on_iteration: Callable[[int, int, int], None] | None = None,
    on_response: Callable[[int, Tensor], None] | None = None,
) -> list[Result]:
    """Segment N same-size images, each with its own seeded network, in one batch.

    Image n gets the network ``optimize_image(images[n], ..., seed=seeds[n])`` would
    build, the same stopping decisions, stages and record; the labels agree with it
    to floating-point tolerance (summation order of grouped convolutions differs).

    Args:
        images: N tensors (1, 3, H, W) of one size, normalised, on one device.
        extractor_factory: builds a new, randomly initialised plain CNN (``DynaSegCNN``).
        loss_fn: the DynaSeg loss (per sample, so per model).
        optimizer_cfg: torch.optim class and arguments; it must update elementwise
            (SGD, with or without momentum/weight decay, is exact). Optimisers with
            per-tensor state (Adam's shared step count) drift for models that stop
            before a later stage.
        settings: the loop's options (``settings.py``); the schedule applies to each model
            separately, ``channels_last`` to the stacked input.
        seeds: N seeds, one per image (initialisation and Silhouette phase).
        on_iteration: called as ``on_iteration(index, iteration, q)`` for each model
            still running at each checked iteration.
        on_response: called as ``on_response(index, response)`` with each model's final
            response (1, q_max, h, w), as in :func:`optimize_image`.
    Returns:
        [(labels (H, W) int64, record)] in the order of ``images``; each record's
        ``seconds`` is an equal share of the batch's wall time.
    Raises:
        ValueError: sizes differ, ``len(seeds) != len(images)``, or the extractor is
            not a plain CNN.
        NonFiniteBatchError: some models diverged (the others' results are attached).
    """
    if len(images) != len(seeds):
        raise ValueError(f'got {len(images)} images but {len(seeds)} seeds')
    if not images:
        return []
    for image in images:
        if image.ndim != 4 or image.shape[0] != 1:
            raise ValueError(f'expected images of shape (1, C, H, W), got {tuple(image.shape)}')
    if len({tuple(image.shape) for image in images}) != 1:
        raise ValueError(
            'optimize_batch needs images of one shape; group them with '
            'bucket_by_size or call optimize_many, got '
            f'{sorted({tuple(i.shape) for i in images})}'
        )
    run = StackRun(extractor_factory, loss_fn, optimizer_cfg, settings)
    labels, records, failed = run(images, seeds, StackedCNN, on_iteration, on_response=on_response)
    if failed:
        raise NonFiniteBatchError(failed, list(zip(labels, records)))
    return list(zip(labels, records))  # type: ignore[arg-type]  # no None without failures


def _single_model(
    models: list[nn.Module], device: torch.device, channels_last: bool
) -> SingleModel:
    """The stack builder of :func:`optimize_image`: its one extractor, used as it is."""
    (model,) = models
    return SingleModel(model, device, channels_last)
