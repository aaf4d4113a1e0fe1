"""The per-image optimisation: a fresh, seeded network is fitted to one image.

    for each stage (coarse, then working size) and iteration:
        r = extractor(image)                        # (1, q_max, h, w)
        L, c, q = DynaSegLoss(r, q_floor=k_sil)     # c = argmax(r), q = #labels in c
        SGD step on L
        stop when q <= min_labels, or q unchanged for `patience` iterations
    labels = argmax(extractor(image)) at the input size

This is the one place that decides iterations, resolutions and stopping; the
loss lives in ``dynaseg/models/losses``, the stopping rule in ``schedule.py``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .allocator import keep_freed_memory
from .schedule import Schedule
from .scribble import ScribbleLoss, resize_scribble, scribble_classes, validate_scribble
from .silhouette import silhouette_lower_bound

if TYPE_CHECKING:  # the loss is passed in; importing dynaseg.models here would be circular
    from dynaseg.models.losses import DynaSegLoss
    from dynaseg.models.losses.dynaseg_loss import LossOutput

# Upsampling the response to a 12-megapixel input at once would need ~5 GB: do it in
# bands of output rows that hold at most this many response values.
#: Kim et al.'s optimiser, the default everywhere one is not configured.
DEFAULT_OPTIMIZER = dict(type='SGD', lr=0.1, momentum=0.9)
_UPSAMPLE_CHUNK_VALUES = 2**25


class NonFiniteLossError(RuntimeError):
    """The loss became NaN/inf (for example with an extreme learning rate)."""


@dataclass
class OptimizationRecord:
    """What happened while optimising one image (all host-side Python values)."""

    iterations: int = 0
    label_counts: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    stage_sizes: list[tuple[int, int]] = field(default_factory=list)
    stage_iterations: list[int] = field(default_factory=list)
    silhouette_k: int | None = None
    stop_reason: str = ''
    seconds: float = 0.0

    @property
    def num_labels(self) -> int:
        """Label count at the last iteration (0 before any)."""
        return self.label_counts[-1] if self.label_counts else 0


@dataclass(frozen=True)
class SilhouetteConfig:
    """The Silhouette Score Phase: ``enabled``, k range and pixel subsample size."""

    enabled: bool = False
    k_min: int = 3
    k_max: int = 26
    num_samples: int = 1000


def optimize_image(
    image: Tensor,
    extractor_factory: Callable[[], nn.Module],
    loss_fn: DynaSegLoss,
    optimizer_cfg: dict,
    schedule: Schedule,
    *,
    seed: int = 0,
    silhouette: SilhouetteConfig | None = None,
    channels_last: bool = True,
    tune_allocator: bool = True,
    on_iteration: Callable[[int, int], None] | None = None,
    scribble: Tensor | None = None,
    scribble_weight: float = 0.5,
) -> tuple[np.ndarray, OptimizationRecord]:
    """Segment one image by optimising a freshly initialised extractor on it alone.

    Args:
        image: (1, 3, H, W) float, already normalised, on the target device.
        extractor_factory: builds a new, randomly initialised feature extractor.
        loss_fn: the DynaSeg loss (with its dynamic weight).
        optimizer_cfg: torch.optim class and arguments,
            e.g. ``dict(type='SGD', lr=0.1, momentum=0.9)``.
        schedule: stopping rule and resolution plan.
        seed: seeds the initialisation and the Silhouette phase; same seed, same labels.
        silhouette: the Silhouette phase settings; None or disabled = no floor on q.
        channels_last: NHWC layout, oneDNN's native one: the convolutions skip their layout
            reorders (about 25% less CPU time per iteration at 321x481). It pays only because
            the fused loss hands back an NHWC gradient; a mixed-layout BatchNorm backward is
            several times slower.
        tune_allocator: keep freed buffers in the process (see ``allocator.py``).
        on_iteration: called as ``on_iteration(iteration, q)`` after each checked iteration.
        scribble: optional (H, W) int64 mask at the input size, 255 = no scribble, other values
            = the response channel those pixels must take (Kim et al.'s scribble guidance, see
            ``scribble.py``). It is resized nearest-neighbour to every stage size (no class is
            lost), and ``schedule.min_labels`` becomes the number of scribble classes.
        scribble_weight: factor on the scribble cross-entropy (Kim's 0.5).
    Returns:
        labels (H, W) int64 at the input size, and the record of the run.
    Raises:
        NonFiniteLossError: the loss diverged; no labels are returned.
        ScribbleError: the scribble mask has the wrong size, no scribbled pixel, or a value
            >= the response channels.
    """
    if image.ndim != 4 or image.shape[0] != 1:
        raise ValueError(f'expected one image of shape (1, C, H, W), got {tuple(image.shape)}')
    if tune_allocator and image.device.type == 'cpu':
        keep_freed_memory()
    start = time.perf_counter()
    height, width = image.shape[-2:]
    if scribble is not None:
        mask = torch.from_numpy(validate_scribble(scribble, (height, width), source='<scribble>'))
        # Kim et al.: minLabels = number of scribble classes (fewer labels cannot honour them all).
        schedule = dataclasses.replace(schedule, min_labels=len(scribble_classes(mask)))
    if height * width == 1:
        # Nothing to optimise (and train-mode BatchNorm needs two values): one segment.
        record = OptimizationRecord(
            stage_sizes=[(1, 1)], stop_reason='single_pixel', seconds=time.perf_counter() - start
        )
        return np.zeros((1, 1), np.int64), record
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = extractor_factory()
    model = model.to(image.device).train()
    if channels_last:
        model = model.to(memory_format=memory_format)  # type: ignore[call-overload]
    optimizer = build_optimizer(optimizer_cfg, model.parameters())
    record = OptimizationRecord(stage_sizes=schedule.stage_sizes(height, width))
    stage_inputs = [
        resize_image(image, size).contiguous(memory_format=memory_format)
        for size in record.stage_sizes
    ]

    q_floor = 1
    if silhouette is not None and silhouette.enabled:
        with torch.no_grad():
            features = model(stage_inputs[0])[0]
        record.silhouette_k, _ = silhouette_lower_bound(
            features, silhouette.k_min, silhouette.k_max, silhouette.num_samples, seed
        )
        q_floor = record.silhouette_k

    budgets = [schedule.max_iters] + [schedule.refine_iters] * (len(stage_inputs) - 1)
    reasons = []
    with torch.enable_grad():
        for stage_input, budget, size in zip(stage_inputs, budgets, record.stage_sizes):
            if budget == 0:  # no refinement: the working size only gets the final forward pass
                record.stage_iterations.append(0)
                continue
            stage_loss: DynaSegLoss | ScribbleLoss = loss_fn
            if scribble is not None:
                stage_loss = ScribbleLoss(
                    loss_fn, resize_scribble(mask, size).to(image.device), scribble_weight
                )
            done, reason = _run_stage(
                model,
                optimizer,
                stage_loss,
                stage_input,
                budget,
                schedule,
                q_floor,
                record,
                on_iteration,
            )
            record.stage_iterations.append(done)
            reasons.append(reason)
    # e.g. 'converged -> max_iters': the coarse stage converged, then the refine budget ran out.
    record.stop_reason = ' -> '.join(reasons)
    with torch.no_grad():
        response = model(stage_inputs[-1])
    # On the host before the clock stops: on a GPU the last forward is still queued until then.
    labels = argmax_at_size(response, (height, width)).cpu().numpy()
    record.seconds = time.perf_counter() - start
    return labels, record


def build_optimizer(cfg: dict, params: Iterable[Tensor]) -> torch.optim.Optimizer:
    """``dict(type='SGD', lr=0.1, momentum=0.9)`` -> ``torch.optim.SGD(model.parameters(), ...)``.

    Built directly from ``torch.optim``: a fresh optimiser per image needs no registry lookup.
    """
    kwargs = dict(cfg)
    name = kwargs.pop('type')
    optimizer_cls = getattr(torch.optim, name, None)
    if optimizer_cls is None:
        raise ValueError(f'unknown optimizer type {name!r} (expected a torch.optim class name)')
    return optimizer_cls(params, **kwargs)


def _run_stage(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[..., LossOutput],
    image: Tensor,
    budget: int,
    schedule: Schedule,
    q_floor: int,
    record: OptimizationRecord,
    on_iteration: Callable[[int, int], None] | None,
) -> tuple[int, str]:
    """Run up to ``budget`` iterations on ``image``; return (iterations done, why it stopped)."""
    pending: list[tuple[Tensor, Tensor]] = []
    unchanged, last_q = 0, -1
    for it in range(1, budget + 1):
        optimizer.zero_grad(set_to_none=True)
        out = loss_fn(model(image), q_floor=q_floor)
        out.loss.backward()
        optimizer.step()
        pending.append((out.num_labels, out.loss.detach()))
        if it % schedule.check_every and it != budget:
            continue
        # One host read per check: q decides stopping, the loss must stay finite.
        counts, losses = (torch.stack(x).tolist() for x in zip(*pending))
        pending.clear()
        if not all(math.isfinite(v) for v in losses):
            raise NonFiniteLossError(
                f'loss became non-finite at iteration {record.iterations + len(losses)} '
                '(learning rate too high?)'
            )
        record.label_counts += counts
        record.losses += losses
        record.iterations += len(counts)
        q = counts[-1]
        if on_iteration is not None:
            on_iteration(record.iterations, q)
        for count in counts:
            unchanged = unchanged + 1 if count == last_q else 0
            last_q = count
        if q <= schedule.min_labels:
            return it, 'min_labels'
        if schedule.patience is not None and unchanged >= schedule.patience:
            return it, 'converged'
    return budget, 'max_iters'


def resize_image(image: Tensor, size: tuple[int, int]) -> Tensor:
    """Area-downsample (or keep) a (1, C, H, W) image to ``size``."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode='area')


def argmax_at_size(response: Tensor, size: tuple[int, int]) -> Tensor:
    """Labels (H, W) = argmax over channels of the response bilinearly resized to ``size``.

    Resizing the response rather than the labels keeps boundaries smooth; it is done
    in bands of rows so a 12-megapixel output never materialises the full response.
    """
    if tuple(response.shape[-2:]) == tuple(size):
        return response[0].argmax(0)
    height, width = size
    channels = response.shape[1]
    band = max(1, _UPSAMPLE_CHUNK_VALUES // (channels * width))
    xs = (torch.arange(width, device=response.device) + 0.5) / width * 2 - 1
    labels = torch.empty((height, width), dtype=torch.long, device=response.device)
    source = response.float().contiguous()
    for top in range(0, height, band):
        rows = torch.arange(top, min(top + band, height), device=response.device)
        ys = (rows + 0.5) / height * 2 - 1
        grid = torch.stack(torch.meshgrid(ys, xs, indexing='ij')[::-1], dim=-1)[None]
        resized = F.grid_sample(
            source, grid, mode='bilinear', padding_mode='border', align_corners=False
        )
        labels[rows] = resized[0].argmax(0)
    return labels
