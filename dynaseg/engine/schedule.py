"""When to stop, and at which resolutions to optimise: the per-image schedule and its stop rule."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    """The stopping rule and the resolution plan of the per-image optimisation.

    The authors' rule is ``max_iters`` iterations or until q <= ``min_labels`` (the
    defaults). The fast and quick schedules add two things that save most of
    the work without changing the answer much: a coarse stage at no more than
    ``coarse_max_pixels`` that also stops once the label count has not changed for
    ``patience`` iterations, then ``refine_iters`` iterations at the working size.

    Args:
        max_iters: iteration budget of the first (coarse or only) stage.
        min_labels: stop once q <= min_labels (Kim's ``minLabels``).
        patience: stop a stage once q has been unchanged this many iterations; None = never.
        coarse_max_pixels: size cap of the coarse stage; None = a single stage.
        refine_iters: iterations at the working size after the coarse stage.
        max_pixels: cap of the working size; larger images are optimised downscaled and
            their response is upsampled to full size before the argmax. None = no cap.
        check_every: read q back to the host every this many iterations (GPU: fewer syncs).
        loss_plateau: also stop a stage once the loss has plateaued, as
            ``dict(window=20, rel_tol=1e-3)`` (see :class:`LossPlateau`); None = never.
        silhouette_stop: the Silhouette k becomes a stop target: stop once q <= k (reason
            ``'silhouette_k'``), not only a floor on q in the weight. No effect without
            the Silhouette phase.
    """

    max_iters: int = 1000
    min_labels: int = 3
    patience: int | None = None
    coarse_max_pixels: int | None = None
    refine_iters: int = 0
    max_pixels: int | None = None
    check_every: int = 1
    loss_plateau: LossPlateau | dict | None = None
    silhouette_stop: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.loss_plateau, dict):
            object.__setattr__(self, 'loss_plateau', LossPlateau(**self.loss_plateau))
        if self.max_iters < 1 or self.check_every < 1 or self.refine_iters < 0:
            raise ValueError(f'invalid schedule: {self}')
        for name in ('patience', 'coarse_max_pixels', 'max_pixels'):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f'Schedule.{name} must be None or >= 1, got {value}')

    def working_size(self, height: int, width: int) -> tuple[int, int]:
        """The (H, W) optimised at: the input size scaled down to ``max_pixels``."""
        return fit_pixels(height, width, self.max_pixels)

    def stage_sizes(self, height: int, width: int) -> list[tuple[int, int]]:
        """(H, W) of each stage: [coarse, working] or [working]."""
        working = self.working_size(height, width)
        coarse = self.coarse_max_pixels
        if coarse is None or working[0] * working[1] <= coarse:
            return [working]
        return [fit_pixels(*working, coarse), working]

    def stage_budgets(self, num_stages: int) -> list[int]:
        """Iterations of each stage: ``max_iters``, then ``refine_iters`` for each later one."""
        return [self.max_iters] + [self.refine_iters] * (num_stages - 1)

    def is_check(self, iteration: int, budget: int) -> bool:
        """Whether q is read back (and the stop rule applied) after ``iteration`` of a stage."""
        return iteration % self.check_every == 0 or iteration == budget

    def stop_rule(self, min_labels: int | None = None, silhouette_k: int | None = None) -> StopRule:
        """A fresh rule for one model in one stage; ``min_labels`` overrides the schedule's.

        ``silhouette_k`` is that model's Silhouette k (None without the phase); it is a stop
        target only with ``silhouette_stop``.
        """
        return StopRule(
            self.min_labels if min_labels is None else min_labels,
            self.patience,
            self.loss_plateau,  # type: ignore[arg-type]  # a dict became a LossPlateau
            silhouette_k if self.silhouette_stop else None,
        )


@dataclass(frozen=True)
class LossPlateau:
    """The loss has plateaued: the mean loss of the last ``window`` iterations is lower than
    the mean of the ``window`` before by less than ``rel_tol`` of that earlier mean.

    Needs ``2 * window`` losses of the stage before it can fire.
    """

    window: int = 20
    rel_tol: float = 1e-3

    def __post_init__(self) -> None:
        if self.window < 1 or not self.rel_tol >= 0:
            raise ValueError(f'invalid loss plateau: {self}')

    def reached(self, losses: Sequence[float]) -> bool:
        """Whether the last ``2 * window`` of ``losses`` (oldest first) show a plateau."""
        if len(losses) < 2 * self.window:
            return False
        recent = list(losses)[-2 * self.window :]
        before = sum(recent[: self.window]) / self.window
        last = sum(recent[self.window :]) / self.window
        return before - last < self.rel_tol * abs(before)


class StopRule:
    """One model's stopping decision within one stage, fed the label counts as they are read.

    Stop once q <= ``min_labels`` (``'min_labels'``), once q <= ``silhouette_k``
    (``'silhouette_k'``), once q has been unchanged for ``patience`` iterations
    (``'converged'``), or once the loss has plateaued (``'loss_plateau'``), checked in that
    order; the counts and losses of each read are taken in order, the decision on the last one.
    """

    def __init__(
        self,
        min_labels: int,
        patience: int | None,
        plateau: LossPlateau | None = None,
        silhouette_k: int | None = None,
    ) -> None:
        self.min_labels = min_labels
        self.patience = patience
        self.plateau = plateau
        self.silhouette_k = silhouette_k
        self.unchanged = 0
        self.last_q = -1
        self.losses: deque[float] = deque(maxlen=2 * plateau.window if plateau else 0)

    def update(self, counts: list[int], losses: Sequence[float]) -> str | None:
        """Feed the label counts (and losses) since the last read; why to stop, or None."""
        for count in counts:
            self.unchanged = self.unchanged + 1 if count == self.last_q else 0
            self.last_q = count
        self.losses.extend(losses)
        if counts[-1] <= self.min_labels:
            return 'min_labels'
        if self.silhouette_k is not None and counts[-1] <= self.silhouette_k:
            return 'silhouette_k'
        if self.patience is not None and self.unchanged >= self.patience:
            return 'converged'
        if self.plateau is not None and self.plateau.reached(self.losses):
            return 'loss_plateau'
        return None


def fit_pixels(height: int, width: int, max_pixels: int | None) -> tuple[int, int]:
    """Scale (height, width) keeping the aspect ratio so that H*W <= max_pixels (>= 1 each)."""
    if max_pixels is None or height * width <= max_pixels:
        return height, width
    scale = math.sqrt(max_pixels / (height * width))
    new_height = max(1, int(height * scale))
    # A very thin image clamps one side to 1 pixel; the other then takes the whole budget.
    new_width = max(1, min(int(width * scale), max_pixels // new_height))
    return new_height, new_width
