"""Batched per-image optimisation: N independent DynaSeg networks fitted at once.

Each image still gets its own freshly seeded network, exactly as in
:func:`~dynaseg.engine.per_image.optimize_image`; the N networks are only *laid out*
together so that one grouped convolution does the work of N small ones:

    x       (1, N*3, h, w)                 the N images stacked along channels
    conv    weight (N*out, in, k, k), groups=N   -> model n only sees image n
    BN      N*C channels, batch of 1       -> statistics per model and channel over h*w,
                                              which is what BN does for one image alone
    r       (1, N*q, h, w) -> view (N, q, h, w)
    loss    sum_n L_n                       -> d(sum)/d(theta_n) = dL_n/d(theta_n)

The parameters are stored stacked with a leading model axis (``(N, out, in, k, k)``),
so one optimiser over them is N independent optimisers as long as its update is
elementwise (SGD with momentum / weight decay, the method's optimiser). Grouped and
separate convolutions may sum in a different order, so labels agree with
one-at-a-time runs to floating-point tolerance, not bit for bit (see the tests).

Stopping is per model: a model that meets the stopping rule of a stage leaves the
forward pass (the others no longer pay for it) and its parameters and optimiser
state are restored, at the end of the stage, to what they were when it stopped —
momentum would otherwise keep moving it. At the next stage (coarse-to-fine
schedules) every model resumes, as in the one-image loop.

Only :class:`~dynaseg.models.backbones.DynaSegCNN` extractors can be batched.

When it helps: batching removes per-operator and per-thread-synchronisation overhead
(one grouped op instead of N small ones); it does not reduce the FLOPs, and on CPU
oneDNN's grouped 3x3 convolution is about 20% slower per FLOP than a dense one. So it
wins for small images / narrow networks, with several threads, and on GPUs; a single
thread on 64x64 images with the full 100-channel network is compute-bound and is
faster one image at a time (``tools/benchmark_batched.py`` measures both).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .allocator import keep_freed_memory
from .per_image import (
    NonFiniteLossError,
    OptimizationRecord,
    SilhouetteConfig,
    argmax_at_size,
    build_optimizer,
    resize_image,
)
from .schedule import Schedule
from .silhouette import silhouette_lower_bound

if TYPE_CHECKING:  # the loss is passed in; importing dynaseg.models here would be circular
    from dynaseg.models.backbones.cnn import DynaSegCNN
    from dynaseg.models.losses import DynaSegLoss

Result = tuple[np.ndarray, OptimizationRecord]


class NonFiniteBatchError(NonFiniteLossError):
    """Some models of a batch diverged; the others finished.

    Attributes:
        failed: indices (into the batch) of the diverged models.
        results: one entry per image; ``(None, record)`` for a diverged model, whose
            record's ``stop_reason`` is ``'non_finite'``.
    """

    def __init__(
        self, failed: list[int], results: list[tuple[np.ndarray | None, OptimizationRecord]]
    ) -> None:
        super().__init__(
            f'loss became non-finite for batch entries {failed} '
            '(learning rate too high?); the other entries finished'
        )
        self.failed = failed
        self.results = results


# ----------------------------------------------------------------------------- layout


class _Conv(NamedTuple):
    weight: Tensor  # (N, out, in/groups, k, k), a leaf the optimiser owns
    bias: Tensor | None  # (N, out)
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    padding_mode: str


class _BatchNorm(NamedTuple):
    weight: Tensor | None  # (N, C)
    bias: Tensor | None  # (N, C)
    eps: float


class _ReLU(NamedTuple):
    pass


_Layer = _Conv | _BatchNorm | _ReLU


class StackedCNN:
    """N :class:`DynaSegCNN` networks of the same structure as one grouped network.

    Built from already initialised models, so each keeps the initialisation its own
    seed gave it. BatchNorm always runs on batch statistics: the one-image loop keeps
    its extractor in train mode throughout (including the final forward), so its
    running statistics are never used and are not kept here.

    Args:
        models: N extractors with identical layer shapes and settings.
        device: where the stacked parameters live.
    """

    def __init__(self, models: Sequence[nn.Module], device: torch.device | str = 'cpu') -> None:
        from dynaseg.models.backbones.cnn import DynaSegCNN  # lazy: dynaseg.models imports engine

        if not models:
            raise ValueError('need at least one model')
        for model in models:
            if not isinstance(model, DynaSegCNN):
                raise ValueError(
                    'batched optimisation supports DynaSegCNN extractors only, got '
                    f'{type(model).__name__}; use optimize_image for others'
                )
        cnns = [model for model in models if isinstance(model, DynaSegCNN)]
        self.num_models = len(cnns)
        self.out_channels: int = cnns[0].out_channels
        self.in_channels: int | None = None
        self.layers: list[_Layer] = []
        for index, module in enumerate(cnns[0].layers):
            peers = [model.layers[index] for model in cnns]
            self.layers.append(self._stack(module, peers, device))
        first = self.layers[0]
        if not isinstance(first, _Conv):
            raise ValueError('a DynaSegCNN is expected to start with a convolution')
        self.in_channels = first.weight.shape[2] * first.groups

    @staticmethod
    def _stack(module: nn.Module, peers: list[nn.Module], device: torch.device | str) -> _Layer:
        def stacked(name: str) -> Tensor | None:
            tensors = [getattr(peer, name) for peer in peers]
            if tensors[0] is None:
                return None
            if any(t is None or t.shape != tensors[0].shape for t in tensors):
                raise ValueError(f'models differ in the shape of {type(module).__name__}.{name}')
            # A fresh leaf: the optimiser updates it, the source models stay untouched.
            return torch.stack([t.detach() for t in tensors]).to(device).requires_grad_()

        def settings(m: nn.Module) -> tuple:
            names = ('stride', 'padding', 'dilation', 'groups', 'padding_mode', 'eps', 'affine')
            return tuple(getattr(m, a, None) for a in names)

        if any(
            type(peer) is not type(module) or settings(peer) != settings(module) for peer in peers
        ):
            raise ValueError('the models to batch differ in their layer settings')
        if isinstance(module, nn.Conv2d):
            if isinstance(module.padding, str):
                raise ValueError("string padding ('same'/'valid') is not supported here")
            weight = stacked('weight')
            if weight is None:
                raise ValueError('a convolution without weights cannot be batched')
            return _Conv(
                weight,
                stacked('bias'),
                module.stride,
                module.padding,
                module.dilation,
                module.groups,
                module.padding_mode,
            )
        if isinstance(module, nn.BatchNorm2d):
            return _BatchNorm(stacked('weight'), stacked('bias'), module.eps)
        if isinstance(module, nn.ReLU):
            return _ReLU()
        raise ValueError(f'cannot batch a {type(module).__name__} layer of DynaSegCNN')

    def parameters(self) -> list[Tensor]:
        """The stacked leaves, each with the model axis first (in layer order)."""
        params: list[Tensor] = []
        for layer in self.layers:
            if isinstance(layer, (_Conv, _BatchNorm)):
                params += [p for p in (layer.weight, layer.bias) if p is not None]
        return params

    @torch.no_grad()
    def unstack(self, index: int, model: DynaSegCNN) -> DynaSegCNN:
        """Copy model ``index``'s parameters into ``model`` (a DynaSegCNN of the same shape).

        Lets one batched network be inspected, saved or run on its own afterwards.
        """
        layers = list(model.layers)
        if len(layers) != len(self.layers):
            raise ValueError('model has a different number of layers')
        for module, layer in zip(layers, self.layers):
            if isinstance(layer, (_Conv, _BatchNorm)):
                for name in ('weight', 'bias'):
                    source, target = getattr(layer, name), getattr(module, name)
                    if source is not None:
                        target.copy_(source[index])
        return model

    def __call__(self, x: Tensor, active: Tensor | None = None) -> Tensor:
        """Forward the selected models, each on its own image.

        Args:
            x: (1, A*in_channels, h, w), image a of the A selected models in channels
                ``[a*in, (a+1)*in)``.
            active: (A,) int64 indices of the selected models, ascending; None = all N.
        Returns:
            (1, A*out_channels, h, w): model a's response in channels ``[a*q, (a+1)*q)``.
        """
        count = self.num_models if active is None else active.numel()

        def take(param: Tensor | None) -> Tensor | None:
            # index_select's backward scatters into zeros, so unselected models get
            # an exactly zero gradient.
            if param is None:
                return None
            chosen = param if active is None else param.index_select(0, active)
            return chosen.reshape(-1, *param.shape[2:])

        for layer in self.layers:
            if isinstance(layer, _Conv):
                weight, bias = take(layer.weight), take(layer.bias)
                assert weight is not None  # _Conv.weight is never None
                padding: tuple[int, ...] = layer.padding
                if layer.padding_mode != 'zeros':
                    pad_h, pad_w = layer.padding
                    x = F.pad(x, (pad_w, pad_w, pad_h, pad_h), mode=layer.padding_mode)
                    padding = (0, 0)
                x = F.conv2d(
                    x, weight, bias, layer.stride, padding, layer.dilation, layer.groups * count
                )
            elif isinstance(layer, _BatchNorm):
                x = F.batch_norm(
                    x,
                    None,
                    None,
                    take(layer.weight),
                    take(layer.bias),
                    training=True,
                    momentum=0.0,
                    eps=layer.eps,
                )
            else:
                x = F.relu(x, inplace=True)
        return x


# ----------------------------------------------------------------------------- loss


def batched_dynaseg_loss(
    loss_fn: DynaSegLoss, response: Tensor, q_floor: Tensor
) -> tuple[Tensor, Tensor]:
    """Per-model DynaSeg losses of A independent responses.

    Mirrors ``DynaSegLoss.forward`` for each model; a loss class that overrides
    ``forward`` is called once per model instead, so it stays correct.

    Args:
        loss_fn: the DynaSeg loss (its dynamic weight is applied per model).
        response: (A, q, h, w), model a's response in entry a.
        q_floor: (A,) int64 lower bounds on q (Silhouette k, or 1).
    Returns:
        losses (A,) with gradient, label counts (A,) int64.
    """
    from dynaseg.models.losses import DynaSegLoss  # lazy: dynaseg.models imports engine

    if type(loss_fn).forward is not DynaSegLoss.forward:
        outs = [loss_fn(response[a : a + 1], q_floor=int(q_floor[a])) for a in range(len(response))]
        return torch.stack([o.loss for o in outs]), torch.stack([o.num_labels for o in outs])
    from dynaseg.models.losses.fused import similarity_and_continuity

    models, channels = response.shape[:2]
    # The same fused arithmetic as DynaSegLoss, per model: (A,) each.
    similarity, continuity, labels = similarity_and_continuity(response)
    # One bincount for all models: offset model a's labels by a*q.
    offsets = torch.arange(models, device=labels.device).view(-1, 1, 1) * channels
    num_labels = (
        torch.bincount((labels + offsets).flatten(), minlength=models * channels)
        .view(models, channels)
        .count_nonzero(dim=1)
    )
    weight = loss_fn.weight(num_labels.clamp(min=q_floor).to(response.dtype))
    weight = torch.as_tensor(weight, dtype=response.dtype, device=response.device)
    return loss_fn.similarity_weight * similarity + weight * continuity, num_labels


# ----------------------------------------------------------------------------- engine


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


def optimize_batch(
    images: Sequence[Tensor],
    extractor_factory: Callable[[], nn.Module],
    loss_fn: DynaSegLoss,
    optimizer_cfg: dict,
    schedule: Schedule,
    seeds: Sequence[int],
    *,
    silhouette: SilhouetteConfig | None = None,
    channels_last: bool = True,
    tune_allocator: bool = True,
    on_iteration: Callable[[int, int, int], None] | None = None,
) -> list[Result]:
    """Segment N same-size images, each with its own seeded network, in one batch.

    Image n gets the network ``optimize_image(images[n], ..., seed=seeds[n])`` would
    build, the same stopping decisions, stages and record; the labels agree with it
    to floating-point tolerance (summation order of grouped convolutions differs).

    Args:
        images: N tensors (1, 3, H, W) of one size, normalised, on one device.
        extractor_factory: builds a new, randomly initialised ``DynaSegCNN``.
        loss_fn: the DynaSeg loss (its dynamic weight is applied per model).
        optimizer_cfg: mmengine optimiser config; it must update elementwise
            (SGD, with or without momentum/weight decay, is exact). Optimisers with
            per-tensor state (Adam's shared step count) drift for models that stop
            before a later stage.
        schedule: stopping rule and resolution plan, applied to each model separately.
        seeds: N seeds, one per image (initialisation and Silhouette phase).
        silhouette: the Silhouette phase settings; None or disabled = no floor on q.
        channels_last: NHWC layout of the stacked input.
        tune_allocator: keep freed buffers in the process (see ``allocator.py``).
        on_iteration: called as ``on_iteration(index, iteration, q)`` for each model
            still running at each checked iteration.
    Returns:
        [(labels (H, W) int64, record)] in the order of ``images``; each record's
        ``seconds`` is an equal share of the batch's wall time.
    Raises:
        ValueError: sizes differ, ``len(seeds) != len(images)``, or the extractor is
            not a DynaSegCNN.
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
    device = images[0].device
    if tune_allocator and device.type == 'cpu':
        keep_freed_memory()
    start = time.perf_counter()
    num = len(images)
    height, width = images[0].shape[-2:]
    if height * width == 1:
        # As optimize_image: nothing to optimise (train-mode BN needs two values).
        return [
            (
                np.zeros((1, 1), np.int64),
                OptimizationRecord(
                    stage_sizes=[(1, 1)],
                    stop_reason='single_pixel',
                    seconds=(time.perf_counter() - start) / num,
                ),
            )
            for _ in range(num)
        ]
    memory_format = torch.channels_last if channels_last else torch.contiguous_format

    models = []
    for seed in seeds:
        # Exactly optimize_image's initialisation, so model n starts where its run would.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            models.append(extractor_factory())
    net = StackedCNN(models, device)
    del models
    optimizer = build_optimizer(optimizer_cfg, net.parameters())
    stage_sizes = schedule.stage_sizes(height, width)
    records = [OptimizationRecord(stage_sizes=list(stage_sizes)) for _ in range(num)]
    stacked = torch.cat(list(images), dim=1)  # (1, N*3, H, W)
    # Area resizing works per channel, so resizing the stack resizes each image.
    stage_inputs = [
        resize_image(stacked, size).contiguous(memory_format=memory_format) for size in stage_sizes
    ]
    channels = net.out_channels

    q_floor = torch.ones(num, dtype=torch.long, device=device)
    if silhouette is not None and silhouette.enabled:
        with torch.no_grad():
            features = net(stage_inputs[0])[0]
        for n, seed in enumerate(seeds):
            k, _ = silhouette_lower_bound(
                features[n * channels : (n + 1) * channels],
                silhouette.k_min,
                silhouette.k_max,
                silhouette.num_samples,
                seed,
            )
            records[n].silhouette_k = k
            q_floor[n] = k

    failed: list[int] = []
    reasons: list[list[str]] = [[] for _ in range(num)]
    budgets = [schedule.max_iters] + [schedule.refine_iters] * (len(stage_inputs) - 1)
    with torch.enable_grad():
        for stage_input, budget in zip(stage_inputs, budgets):
            running = [n for n in range(num) if n not in failed]
            outcome = _run_stage(
                net,
                optimizer,
                loss_fn,
                stage_input,
                budget,
                schedule,
                q_floor,
                records,
                running,
                on_iteration,
            )
            for n in running:
                done, reason = outcome[n]
                records[n].stage_iterations.append(done)
                reasons[n].append(reason)
                if reason == 'non_finite':
                    failed.append(n)
    for record, stages in zip(records, reasons):
        # As optimize_image, e.g. 'converged -> max_iters' for a coarse-to-fine run.
        record.stop_reason = ' -> '.join(stages)

    alive = [n for n in range(num) if n not in failed]
    labels: list[np.ndarray | None] = [None] * num
    if alive:
        index = torch.tensor(alive, dtype=torch.long, device=device)
        with torch.no_grad():
            response = net(_select_images(stage_inputs[-1], index, num), index)
        for a, n in enumerate(alive):
            labels[n] = (
                argmax_at_size(response[:, a * channels : (a + 1) * channels], (height, width))
                .cpu()
                .numpy()
            )
    share = (time.perf_counter() - start) / num
    for record in records:
        record.seconds = share
    if failed:
        raise NonFiniteBatchError(sorted(failed), list(zip(labels, records)))
    return list(zip(labels, records))  # type: ignore[arg-type]  # no None without failures


def optimize_many(
    images: Sequence[Tensor],
    extractor_factory: Callable[[], nn.Module],
    loss_fn: DynaSegLoss,
    optimizer_cfg: dict,
    schedule: Schedule,
    seeds: Sequence[int],
    *,
    batch_size: int = 8,
    **kwargs,
) -> list[Result]:
    """Segment images of any sizes: same-size buckets, in batches of ``batch_size``.

    Args:
        images: tensors (1, 3, H_i, W_i), sizes may differ.
        seeds: one per image.
        batch_size: most models optimised together (1 = one at a time, same engine).
        kwargs: passed to :func:`optimize_batch`.
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
                    schedule,
                    [seeds[i] for i in chunk],
                    **kwargs,
                )
            except NonFiniteBatchError as error:
                out = error.results
                failed += [chunk[j] for j in error.failed]
            for i, result in zip(chunk, out):
                results[i] = result
    if failed:
        raise NonFiniteBatchError(sorted(failed), results)  # type: ignore[arg-type]
    return results  # type: ignore[return-value]  # every slot filled, no None labels


def _select_images(x: Tensor, active: Tensor, num: int) -> Tensor:
    """Channels of the selected models' images from the (1, N*3, h, w) stack."""
    if active.numel() == num:
        return x
    memory_format = (
        torch.channels_last
        if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
        else torch.contiguous_format
    )
    return (
        x.unflatten(1, (num, -1))[:, active].flatten(1, 2).contiguous(memory_format=memory_format)
    )


def _optimizer_tensors(optimizer: torch.optim.Optimizer, param: Tensor) -> list[Tensor]:
    """``param`` and its optimiser state tensors that are laid out like it (momentum, ...)."""
    state = optimizer.state.get(param, {})
    return [param] + [v for v in state.values() if isinstance(v, Tensor) and v.shape == param.shape]


def _run_stage(
    net: StackedCNN,
    optimizer: torch.optim.Optimizer,
    loss_fn: DynaSegLoss,
    image: Tensor,
    budget: int,
    schedule: Schedule,
    q_floor: Tensor,
    records: list[OptimizationRecord],
    running: list[int],
    on_iteration: Callable[[int, int, int], None] | None,
) -> dict[int, tuple[int, str]]:
    """Run up to ``budget`` iterations of the ``running`` models on their images.

    Returns {model: (iterations done in this stage, why it stopped)}, the same
    values per model that the one-image ``_run_stage`` returns.
    """
    num = net.num_models
    outcome: dict[int, tuple[int, str]] = {}
    snapshots: list[tuple[Tensor, int, Tensor]] = []  # (stacked tensor, model, its slice)
    unchanged = dict.fromkeys(running, 0)
    last_q = dict.fromkeys(running, -1)
    active = list(running)
    pending: list[tuple[Tensor, Tensor]] = []
    index: Tensor | None = None
    x = image
    channels = net.out_channels

    def select() -> tuple[Tensor | None, Tensor]:
        idx = torch.tensor(active, dtype=torch.long, device=image.device)
        return (None if len(active) == num else idx), _select_images(image, idx, num)

    if active:
        index, x = select()
    for it in range(1, budget + 1):
        if not active:
            break
        optimizer.zero_grad(set_to_none=True)
        response = net(x, index)
        losses, counts = batched_dynaseg_loss(
            loss_fn,
            response[0].unflatten(0, (len(active), channels)),
            q_floor if index is None else q_floor[index],
        )
        # Each model's parameters only reach its own term, so the sum's gradient
        # with respect to them is that model's own gradient.
        losses.sum().backward()
        optimizer.step()
        pending.append((counts, losses.detach()))
        if it % schedule.check_every and it != budget:
            continue
        # One host read per check, for all models at once.
        count_rows = torch.stack([c for c, _ in pending]).T.tolist()  # (A, iterations)
        loss_rows = torch.stack([v for _, v in pending]).T.tolist()
        pending.clear()
        stopped: list[int] = []
        for n, counts_n, losses_n in zip(active, count_rows, loss_rows):
            record = records[n]
            if not all(math.isfinite(v) for v in losses_n):
                outcome[n] = (it, 'non_finite')
                stopped.append(n)
                continue
            record.label_counts += counts_n
            record.losses += losses_n
            record.iterations += len(counts_n)
            q = counts_n[-1]
            if on_iteration is not None:
                on_iteration(n, record.iterations, q)
            for count in counts_n:
                unchanged[n] = unchanged[n] + 1 if count == last_q[n] else 0
                last_q[n] = count
            if q <= schedule.min_labels:
                outcome[n] = (it, 'min_labels')
            elif schedule.patience is not None and unchanged[n] >= schedule.patience:
                outcome[n] = (it, 'converged')
            else:
                continue
            stopped.append(n)
        if stopped:
            for n in stopped:
                # Its state right after its last step; momentum would move it further.
                snapshots += [
                    (t, n, t[n].clone())
                    for p in net.parameters()
                    for t in _optimizer_tensors(optimizer, p)
                ]
            active = [n for n in active if n not in stopped]
            if active:
                index, x = select()
    for n in active:
        outcome[n] = (budget, 'max_iters')
    # Stopped models were left out of the forward pass (zero gradient) but the
    # optimiser kept moving them by momentum; put them back where they stopped.
    with torch.no_grad():
        for tensor, n, value in snapshots:
            tensor[n].copy_(value)
    return outcome
