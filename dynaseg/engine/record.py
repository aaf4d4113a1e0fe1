"""What the engine reports: the per-image record, the Silhouette settings, divergence errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: A series of an old record's ``history`` -> the :class:`OptimizationRecord` field it is read
#: as: the one rename table of the old record format (:func:`renamed_series`).
OLD_SERIES = {'n_labels': 'label_counts', 'loss': 'losses'}


def renamed_series(series: Mapping[str, Any]) -> dict[str, Any]:
    """``series`` with each old name of :data:`OLD_SERIES` read under the record's field name;
    where both are present, the field's own name wins."""
    renamed = {OLD_SERIES[key]: value for key, value in series.items() if key in OLD_SERIES}
    return {**renamed, **{key: v for key, v in series.items() if key not in OLD_SERIES}}


@dataclass
class OptimizationRecord:
    """What happened while optimising one image (all host-side Python values).

    ``num_segments``: labels returned by segment-count control (None when it is off);
    ``warnings``: what the user should know (fewer labels than asked); ``seed_runs``: with
    a consensus of seeds, each seed's summary (this record is the chosen run's).
    """

    iterations: int = 0
    label_counts: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    stage_sizes: list[tuple[int, int]] = field(default_factory=list)
    stage_iterations: list[int] = field(default_factory=list)
    silhouette_k: int | None = None
    stop_reason: str = ''
    seconds: float = 0.0
    num_segments: int | None = None
    warnings: list[str] = field(default_factory=list)
    seed_runs: list[dict] = field(default_factory=list)

    @property
    def num_labels(self) -> int:
        """Label count at the last iteration (0 before any)."""
        return self.label_counts[-1] if self.label_counts else 0

    def note_segment_count(self, got: int, asked: int) -> None:
        """Segment-count control gave ``got`` labels for ``asked``; fewer is warned about."""
        self.num_segments = got
        if got < asked:
            self.warnings.append(
                f'num_segments={asked} but the response has only {got} distinct vectors: '
                f'{got} labels returned'
            )


@dataclass(frozen=True)
class SilhouetteConfig:
    """The Silhouette Score Phase: ``enabled``, k range and pixel subsample size."""

    enabled: bool = False
    k_min: int = 3
    k_max: int = 26
    num_samples: int = 1000


class NonFiniteLossError(RuntimeError):
    """The loss became NaN/inf (for example with an extreme learning rate)."""


class NonFiniteBatchError(NonFiniteLossError):
    """Some models of a batch diverged; the others finished.

    Attributes:
        failed: indices (into the batch) of the diverged models.
        results: one entry per image; ``(None, record)`` for a diverged model, whose
            record's ``stop_reason`` ends in ``'non_finite'``.
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
