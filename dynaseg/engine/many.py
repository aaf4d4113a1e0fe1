"""Images of any sizes through the per-image optimisation: same-size buckets, in batches."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from torch import Tensor, nn

from .optimize import Result, optimize_batch
from .record import NonFiniteBatchError, OptimizationRecord
from .settings import EngineSettings

if TYPE_CHECKING:  # the loss is injected; the engine never imports dynaseg.models at run time
    from dynaseg.models.losses import DynaSegLoss

__all__ = ['bucket_by_size', 'optimize_many']


def optimize_many(
    images: Sequence[Tensor],
    extractor_factory: Callable[[], nn.Module],
    loss_fn: DynaSegLoss,
    optimizer_cfg: dict,
    settings: EngineSettings,
    seeds: Sequence[int],
    *,
    batch_size: int = 8,
    on_iteration: Callable[[int, int, int], None] | None = None,
) -> list[Result]:
    """Segment images of any sizes: same-size buckets, in batches of ``batch_size``.

    Args:
        images: tensors (1, 3, H_i, W_i), sizes may differ.
        seeds: one per image.
        batch_size: most models optimised together (1 = one at a time, same engine).
        on_iteration: as in :func:`optimize_batch`, the index into each batch.
    Returns:
        [(labels (H_i, W_i), record)] in the order of ``images``.
    Raises:
        NonFiniteBatchError: some images diverged; indices are into ``images`` and
            every other image's result is attached.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    if len(images) != len(seeds):
        raise ValueError(f'got {len(images)} images but {len(seeds)} seeds')
    results: list[tuple[np.ndarray | None, OptimizationRecord] | None] = [None] * len(images)
    failed: list[int] = []
    for indices in bucket_by_size(images).values():
        for first in range(0, len(indices), batch_size):
            chunk = indices[first : first + batch_size]
            try:
                out: list = optimize_batch(
                    [images[i] for i in chunk],
                    extractor_factory,
                    loss_fn,
                    optimizer_cfg,
                    settings,
                    [seeds[i] for i in chunk],
                    on_iteration=on_iteration,
                )
            except NonFiniteBatchError as error:
                out = error.results
                failed += [chunk[j] for j in error.failed]
            for i, result in zip(chunk, out):
                results[i] = result
    if failed:
        raise NonFiniteBatchError(sorted(failed), results)  # type: ignore[arg-type]
    return results  # type: ignore[return-value]  # every slot filled, no None labels


def bucket_by_size(
    items: Sequence[Tensor | np.ndarray],
    size_of: Callable[[Tensor | np.ndarray], Hashable] | None = None,
) -> dict[Hashable, list[int]]:
    """Group item indices by image size, keeping first-seen order.

    Args:
        items: tensors (..., H, W) or arrays (H, W[, C]).
        size_of: the bucket key of an item; default (H, W) (last two dims of a tensor,
            first two of a numpy array, which is HWC).
    Returns:
        {(H, W): [indices into items, ascending]}.
    """

    def default(item: Tensor | np.ndarray) -> tuple[int, int]:
        if isinstance(item, np.ndarray):
            return int(item.shape[0]), int(item.shape[1])
        return int(item.shape[-2]), int(item.shape[-1])

    key = size_of or default
    buckets: dict[Hashable, list[int]] = {}
    for index, item in enumerate(items):
        buckets.setdefault(key(item), []).append(index)
    return buckets
