"""Reference-image mode (Kim et al.): train one network on a set of images, then label new
images with a single forward pass each instead of optimising a network per image.

    for it in range(iters):                  # images cycled in a seeded order, each <= max_pixels
        L = DynaSegLoss(extractor(image_i))  # the same objective as the per-image mode
        SGD step on L
    save extractor.state_dict()              # the model.checkpoint file (weights.py)
    labels = argmax(extractor(test image))   # one forward, BatchNorm on the test image's statistics
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
from torch import Tensor, nn

from .optimizer import build_optimizer
from .record import NonFiniteLossError, OptimizationRecord
from .resize import resize_image
from .schedule import fit_pixels
from .segment_count import response_labels

if TYPE_CHECKING:  # the loss is injected; the engine never imports dynaseg.models at run time
    from dynaseg.models.losses import DynaSegLoss, LossContext

__all__ = [
    'BNStats',
    'ReferenceTrainRecord',
    'batch_statistics',
    'reference_segment',
    'train_reference',
]

#: How BatchNorm normalises at inference: ``'batch'`` = the test image's own statistics (train-mode
#: normalisation, running buffers untouched), ``'running'`` = the statistics gathered in training.
BNStats = Literal['batch', 'running']


@dataclass
class ReferenceTrainRecord:
    """What happened while training the reference network (host-side values)."""

    iterations: int = 0
    losses: list[float] = field(default_factory=list)
    label_counts: list[int] = field(default_factory=list)
    num_images: int = 0
    seconds: float = 0.0


def train_reference(
    extractor: nn.Module,
    loss_fn: DynaSegLoss,
    images: Sequence[Tensor],
    optimizer_cfg: dict,
    *,
    iters: int,
    max_pixels: int | None = 40_000,
    seed: int = 0,
    on_iteration: Callable[[int, float, int], None] | None = None,
) -> ReferenceTrainRecord:
    """Train ``extractor`` in place over ``images`` with the DynaSeg loss.

    Args:
        extractor: the feature extractor (``DynaSeg.backbone``), trained in place.
        loss_fn: the DynaSeg loss (one image per step, so its per-sample outputs have one entry);
            its ``prepare`` runs once per training image (at the training size).
        images: (1, 3, H, W) normalised images; each is area-downscaled once to ``max_pixels``
            (sizes may differ, so one image per step, as in Kim et al.'s reference mode).
        optimizer_cfg: torch.optim class and arguments, e.g. ``dict(type='SGD', lr=0.1, ...)``.
        iters: SGD steps; the images are cycled, reshuffled (seeded) every epoch.
        max_pixels: size cap of the training images (None = full size).
        seed: seeds the image order (initialise and seed the extractor before calling).
        on_iteration: called as ``on_iteration(iteration, loss, q)`` after every step.
    Raises:
        NonFiniteLossError: the loss diverged.
    """
    if not images:
        raise ValueError('reference-mode training needs at least one image')
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    start = time.perf_counter()
    inputs = [
        resize_image(image, fit_pixels(image.shape[-2], image.shape[-1], max_pixels))
        for image in images
    ]
    extractor.train()
    optimizer = build_optimizer(optimizer_cfg, extractor.parameters())
    rng = np.random.default_rng(seed)
    record = ReferenceTrainRecord(num_images=len(inputs))
    order: list[int] = []
    # The loss's per-image guides (edge weights, superpixels), prepared on an image's first
    # visit and reused on the next ones: the training images repeat, their guides do not change.
    contexts: dict[int, LossContext | None] = {}
    with torch.enable_grad():
        for it in range(1, iters + 1):
            if not order:
                order = rng.permutation(len(inputs)).tolist()
            index = order.pop()
            if index not in contexts:
                contexts[index] = loss_fn.prepare(inputs[index])
            optimizer.zero_grad(set_to_none=True)
            out = loss_fn(extractor(inputs[index]), context=contexts[index])
            out.loss.sum().backward()
            optimizer.step()
            value = float(out.loss.detach())
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f'loss became non-finite at iteration {it} (learning rate too high?)'
                )
            record.losses.append(value)
            record.label_counts.append(int(out.num_labels))
            record.iterations = it
            if on_iteration is not None:
                on_iteration(it, value, record.label_counts[-1])
    record.seconds = time.perf_counter() - start
    return record


@contextlib.contextmanager
def batch_statistics(module: nn.Module) -> Iterator[None]:
    """Make every BatchNorm of ``module`` normalise with the current batch's statistics.

    ``track_running_stats=False`` in train mode makes PyTorch pass no running buffers, so they are
    neither used nor updated; everything is restored on exit.
    """
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m.training, m.track_running_stats) for m in norms]
    try:
        for m in norms:
            m.train()
            m.track_running_stats = False
        yield
    finally:
        for m, (training, track) in zip(norms, saved):
            m.train(training)
            m.track_running_stats = track


def reference_segment(
    extractor: nn.Module,
    image: Tensor,
    *,
    max_pixels: int | None = 40_000,
    bn_stats: BNStats = 'batch',
    num_segments: int | None = None,
    record: OptimizationRecord | None = None,
) -> Tensor:
    """Label one image with a single forward pass of a trained extractor.

    Args:
        image: (1, 3, H, W) normalised.
        max_pixels: the forward runs at the image area-downscaled to this (the training scale:
            a CNN with a few-pixel receptive field sees a different texture at another scale);
            the response is upsampled to (H, W) before the argmax.
        bn_stats: ``'batch'`` (default) normalises each response channel over the test image, as
            every training step did over its own image; ``'running'`` uses the training average.
        num_segments: None (default): the argmax; K: exactly K labels from the response, as
            the per-image mode makes them (:func:`~dynaseg.engine.segment_count.response_labels`),
            the count noted in ``record``.
    Returns:
        (H, W) int64 labels (channel indices, comparable across images, when ``num_segments``
        is None).
    """
    if image.ndim != 4 or image.shape[0] != 1:
        raise ValueError(f'expected one image of shape (1, C, H, W), got {tuple(image.shape)}')
    if bn_stats not in ('batch', 'running'):
        raise ValueError(f"bn_stats must be 'batch' or 'running', got {bn_stats!r}")
    height, width = image.shape[-2:]
    small = resize_image(image, fit_pixels(height, width, max_pixels))
    was_training = extractor.training
    extractor.eval()
    try:
        with torch.no_grad():
            if bn_stats == 'batch' and small.shape[-2] * small.shape[-1] > 1:
                with batch_statistics(extractor):
                    response = extractor(small)
            else:  # one pixel has no batch statistics: fall back on the running ones
                response = extractor(small)
    finally:
        extractor.train(was_training)
    return response_labels(response, (height, width), num_segments, record)
