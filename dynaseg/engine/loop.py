"""The loop of one optimisation: N seeded models, each fitted to its own image, stage by stage.

:class:`StackRun` seeds the N extractors, lays them out as one stack (``stack.py``), runs each
stage of the schedule with per-model stopping, and reads each model's labels at the input size.
The entry points (``optimize.py``) call it with a stack of one (any extractor) or a stack of N
plain CNNs; this is the one place that decides iterations, resolutions and stopping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor, nn

from dynaseg.utils.scribble_io import scribble_classes

from .allocator import keep_freed_memory
from .optimizer import build_optimizer
from .precision import precision_scope, wrap_stack
from .record import OptimizationRecord
from .resize import resize_image
from .scribble import resize_scribble
from .segment_count import response_labels
from .settings import EngineSettings
from .silhouette import silhouette_lower_bound
from .stack import ResponseStack, select_images

if TYPE_CHECKING:  # the loss is injected; the engine never imports dynaseg.models at run time
    from dynaseg.models.losses import DynaSegLoss, LossContext

#: ``(models, device) -> stack``: how the seeded extractors are laid out for the loop.
StackBuilder = Callable[[list[nn.Module], torch.device], ResponseStack]


@dataclass(frozen=True)
class Stage:
    """One stage's inputs for all N models (entries of stopped models are skipped)."""

    image: Tensor  # (1, N*3, h, w)
    scribble: Tensor | None  # (N, h, w) int64
    budget: int
    q_floor: Tensor  # (N,) int64
    min_labels: list[int]  # N stopping thresholds
    context: LossContext | None = None  # the loss's per-image guides (edges, superpixels)


def _optimizer_tensors(optimizer: torch.optim.Optimizer, param: Tensor) -> list[Tensor]:
    """``param`` and its optimiser state tensors that are laid out like it (momentum, ...)."""
    state = optimizer.state.get(param, {})
    return [param] + [v for v in state.values() if isinstance(v, Tensor) and v.shape == param.shape]


@dataclass(frozen=True)
class StackRun:
    """The settings of one optimisation, shared by every image it optimises."""

    extractor_factory: Callable[[], nn.Module]
    loss_fn: DynaSegLoss
    optimizer_cfg: dict
    settings: EngineSettings

    def __call__(
        self,
        images: Sequence[Tensor],
        *args,
        **kwargs,
    ) -> tuple[list[np.ndarray | None], list[OptimizationRecord], list[int]]:
        """:meth:`_optimize` with the TF32 switches of ``precision`` set (CUDA only)."""
        with precision_scope(self.settings.precision, images[0].device):
            return self._optimize(images, *args, **kwargs)

    def _optimize(
        self,
        images: Sequence[Tensor],
        seeds: Sequence[int],
        build_stack: StackBuilder,
        on_iteration: Callable[[int, int, int], None] | None,
        scribbles: Sequence[Tensor] | None = None,
        on_response: Callable[[int, Tensor], None] | None = None,
    ) -> tuple[list[np.ndarray | None], list[OptimizationRecord], list[int]]:
        """Optimise N checked, same-size (1, 3, H, W) images, one seeded model each.

        Args:
            build_stack: lays the N seeded extractors out for the loop (see ``stack.py``).
            on_iteration: called as ``on_iteration(index, iteration, q)``.
            scribbles: None, or N validated (H, W) int64 masks at the input size.
            on_response: called as ``on_response(index, response)`` with each surviving
                model's final (1, q_max, h, w) response.
        Returns:
            labels (H, W) per image (None for a diverged model), records, diverged indices.
        """
        settings = self.settings
        schedule = settings.schedule
        device = images[0].device
        if settings.tune_allocator and device.type == 'cpu':
            keep_freed_memory()
        start = time.perf_counter()
        num = len(images)
        height, width = images[0].shape[-2:]
        if height * width == 1:
            # Nothing to optimise (and train-mode BatchNorm needs two values): one segment.
            share = (time.perf_counter() - start) / num
            records = [
                OptimizationRecord(stage_sizes=[(1, 1)], stop_reason='single_pixel', seconds=share)
                for _ in range(num)
            ]
            return [np.zeros((1, 1), np.int64) for _ in range(num)], records, []
        memory_format = torch.channels_last if settings.channels_last else torch.contiguous_format
        models = []
        for seed in seeds:
            # Seeded in a forked RNG: same seed, same network, the caller's RNG untouched.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                models.append(self.extractor_factory())
        net = wrap_stack(
            build_stack(models, device), device, settings.precision, settings.compile_extractor
        )
        del models
        optimizer = build_optimizer(self.optimizer_cfg, net.parameters())
        stage_sizes = schedule.stage_sizes(height, width)
        records = [OptimizationRecord(stage_sizes=list(stage_sizes)) for _ in range(num)]
        stacked = torch.cat(list(images), dim=1)  # (1, N*3, H, W)
        # Area resizing works per channel, so resizing the stack resizes each image.
        stage_inputs = [
            resize_image(stacked, size).contiguous(memory_format=memory_format)
            for size in stage_sizes
        ]
        stage_scribbles: list[Tensor | None] = [None] * len(stage_sizes)
        min_labels = [schedule.min_labels] * num
        if scribbles is not None:
            # Kim et al.: minLabels = number of scribble classes (fewer cannot honour them all).
            min_labels = [len(scribble_classes(mask)) for mask in scribbles]
            stage_scribbles = [
                torch.stack([resize_scribble(mask, size) for mask in scribbles]).to(device)
                for size in stage_sizes
            ]
        if settings.num_segments is not None:
            if max(min_labels) > settings.num_segments and scribbles is not None:
                raise ValueError(
                    f'num_segments={settings.num_segments} is fewer than the '
                    f'{max(min_labels)} scribble classes'
                )
            min_labels = [settings.num_segments] * num

        q_floor = self._silhouette_floor(net, stage_inputs[0], seeds, records)
        failed: list[int] = []
        reasons: list[list[str]] = [[] for _ in range(num)]
        budgets = schedule.stage_budgets(len(stage_sizes))
        with torch.enable_grad():
            for stage_input, stage_scribble, budget in zip(stage_inputs, stage_scribbles, budgets):
                running = [n for n in range(num) if n not in failed]
                if budget == 0:  # no refinement: the working size only gets the final forward pass
                    for n in running:
                        records[n].stage_iterations.append(0)
                    continue
                # Once per stage, not per iteration: the guides depend on the image only.
                context = self.loss_fn.prepare(stage_input.unflatten(1, (num, -1))[0])
                stage = Stage(stage_input, stage_scribble, budget, q_floor, min_labels, context)
                outcome = self._run_stage(net, optimizer, stage, records, running, on_iteration)
                for n in running:
                    done, reason = outcome[n]
                    records[n].stage_iterations.append(done)
                    reasons[n].append(reason)
                    if reason == 'non_finite':
                        failed.append(n)
        for record, stages in zip(records, reasons):
            # e.g. 'converged -> max_iters': the coarse stage converged, then the refinement ran.
            record.stop_reason = ' -> '.join(stages)

        labels = _final_labels(
            net,
            stage_inputs[-1],
            failed,
            (height, width),
            settings.num_segments,
            records,
            on_response,
        )
        share = (time.perf_counter() - start) / num
        for record in records:
            record.seconds = share
        return labels, records, sorted(failed)

    def _silhouette_floor(
        self,
        net: ResponseStack,
        image: Tensor,
        seeds: Sequence[int],
        records: list[OptimizationRecord],
    ) -> Tensor:
        """(N,) int64 floors on q: each model's Silhouette k on its first-stage features, or 1."""
        q_floor = torch.ones(len(seeds), dtype=torch.long, device=image.device)
        silhouette, num_segments = self.settings.silhouette, self.settings.num_segments
        if not silhouette.enabled:
            return q_floor
        with torch.no_grad():
            features = net(image)  # (N, q, h, w)
        for n, seed in enumerate(seeds):
            k, _ = silhouette_lower_bound(
                features[n],
                silhouette.k_min,
                silhouette.k_max,
                silhouette.num_samples,
                seed,
            )
            records[n].silhouette_k = k
            # A floor above the user's K would keep the weight from letting q fall to K.
            q_floor[n] = k if num_segments is None else min(k, num_segments)
        return q_floor

    def _run_stage(
        self,
        net: ResponseStack,
        optimizer: torch.optim.Optimizer,
        stage: Stage,
        records: list[OptimizationRecord],
        running: list[int],
        on_iteration: Callable[[int, int, int], None] | None,
    ) -> dict[int, tuple[int, str]]:
        """Run up to ``stage.budget`` iterations of the ``running`` models on their images.

        Returns:
            {model: (iterations done in this stage, why it stopped)}; the reason is
            ``'min_labels'``, ``'converged'``, ``'max_iters'`` or ``'non_finite'``.
        """
        num = net.num_models
        schedule = self.settings.schedule
        floors = stage.q_floor.tolist()
        rules = {
            n: schedule.stop_rule(
                stage.min_labels[n], None if records[n].silhouette_k is None else floors[n]
            )
            for n in running
        }
        outcome: dict[int, tuple[int, str]] = {}
        snapshots: list[tuple[Tensor, int, Tensor]] = []  # (stacked tensor, model, its slice)
        pending: list[tuple[Tensor, Tensor]] = []
        active = list(running)

        def select() -> tuple[Tensor | None, Tensor, Tensor, Tensor | None, LossContext | None]:
            """(index or None for all, images, q floors, scribbles, loss context) of the active."""
            if len(active) == num:
                return None, stage.image, stage.q_floor, stage.scribble, stage.context
            idx = torch.tensor(active, dtype=torch.long, device=stage.image.device)
            scribble = None if stage.scribble is None else stage.scribble[idx]
            context = None if stage.context is None else stage.context.select(idx)
            return idx, select_images(stage.image, idx, num), stage.q_floor[idx], scribble, context

        index, x, q_floor, scribble, context = select()
        for it in range(1, stage.budget + 1):
            if not active:
                break
            optimizer.zero_grad(set_to_none=True)
            out = self.loss_fn(
                net(x, index),
                q_floor=q_floor,
                scribble=scribble,
                scribble_weight=self.settings.scribble_weight,
                context=context,
            )
            # Each model's parameters only reach its own term, so the sum's gradient
            # with respect to them is that model's own gradient.
            out.loss.sum().backward()
            optimizer.step()
            pending.append((out.num_labels, out.loss.detach()))
            if not schedule.is_check(it, stage.budget):
                continue
            # One host read per check, for all models at once.
            count_rows = torch.stack([c for c, _ in pending]).T.tolist()  # (A, iterations)
            loss_rows = torch.stack([v for _, v in pending]).T.tolist()
            pending.clear()
            stopped: list[int] = []
            for n, counts, losses in zip(active, count_rows, loss_rows):
                if not all(math.isfinite(v) for v in losses):
                    outcome[n] = (it, 'non_finite')
                    stopped.append(n)
                    continue
                record = records[n]
                record.label_counts += counts
                record.losses += losses
                record.iterations += len(counts)
                if on_iteration is not None:
                    on_iteration(n, record.iterations, counts[-1])
                reason = rules[n].update(counts, losses)
                if reason is not None:
                    outcome[n] = (it, reason)
                    stopped.append(n)
            if not stopped:
                continue
            active = [n for n in active if n not in stopped]
            if active:
                # The others go on, and momentum would move the stopped ones with them:
                # keep their state right after their last step.
                snapshots += [
                    (t, n, t[n].clone())
                    for n in stopped
                    for p in net.parameters()
                    for t in _optimizer_tensors(optimizer, p)
                ]
                index, x, q_floor, scribble, context = select()
        for n in active:
            outcome[n] = (stage.budget, 'max_iters')
        # Stopped models were left out of the forward pass (zero gradient) but the
        # optimiser kept moving them by momentum; put them back where they stopped.
        with torch.no_grad():
            for tensor, n, value in snapshots:
                tensor[n].copy_(value)
        return outcome


def _final_labels(
    net: ResponseStack,
    image: Tensor,
    failed: list[int],
    size: tuple[int, int],
    num_segments: int | None,
    records: list[OptimizationRecord],
    on_response: Callable[[int, Tensor], None] | None = None,
) -> list[np.ndarray | None]:
    """(H, W) labels of each model that did not diverge, from one forward on ``image``.

    With ``num_segments`` = K, each response is reduced to K labels (its record says how
    many it got, and why fewer). ``on_response(n, response)`` sees each model's response.
    """
    num = net.num_models
    alive = [n for n in range(num) if n not in failed]
    labels: list[np.ndarray | None] = [None] * num
    if not alive:
        return labels
    index = torch.tensor(alive, dtype=torch.long, device=image.device)
    with torch.no_grad():
        response = net(select_images(image, index, num), None if len(alive) == num else index)
    for a, n in enumerate(alive):
        if on_response is not None:
            on_response(n, response[a : a + 1])
        label_map = response_labels(response[a : a + 1], size, num_segments, records[n])
        # On the host before the clock stops: on a GPU the last forward is still queued.
        labels[n] = label_map.cpu().numpy()
    return labels
