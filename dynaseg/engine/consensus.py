"""Consensus of seeds: run an image with several seeds and keep the medoid label map.

The medoid is the run whose labels are closest, on average, to the other runs' labels under
the variation of information (Meila 2007), VI(A, B) = H(A | B) + H(B | A). VI rather than the
adjusted Rand index because it is a true metric on partitions (so "the run nearest to all
others" is a medoid in the usual sense), it weighs small segments by their information rather
than by their pixel pairs, as ARI does, which the large regions of a photo dominate, and it is
one of the measures BSDS500 is reported with (VoI).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Consensus:
    """``model.consensus``: ``seeds`` runs (seed, seed + 1, ...), the ``rule``'s choice returned."""

    seeds: int = 3
    rule: str = 'medoid'

    def __post_init__(self) -> None:
        if self.seeds < 1:
            raise ValueError(f'consensus needs seeds >= 1, got {self.seeds}')
        if self.rule != 'medoid':
            raise ValueError(f"unknown consensus rule {self.rule!r} (expected 'medoid')")

    def seeds_from(self, seed: int) -> list[int]:
        """The seeds of the runs: ``seed`` and the next ``seeds - 1`` integers."""
        return [seed + i for i in range(self.seeds)]


def variation_of_information(a: np.ndarray, b: np.ndarray) -> float:
    """VI(a, b) = 2 H(a, b) - H(a) - H(b) in nats, of two label maps of one shape."""
    if a.shape != b.shape:
        raise ValueError(f'label maps of shapes {a.shape} and {b.shape}')
    _, a_codes = np.unique(a, return_inverse=True)
    _, b_codes = np.unique(b, return_inverse=True)
    joint = a_codes.ravel().astype(np.int64) * (int(b_codes.max()) + 1) + b_codes.ravel()
    return 2 * _entropy(joint) - _entropy(a_codes.ravel()) - _entropy(b_codes.ravel())


def medoid(label_maps: list[np.ndarray]) -> tuple[int, list[float]]:
    """The index of the map with the least mean VI to the others (first on ties), and each
    map's mean VI to the others (0 for a single map)."""
    count = len(label_maps)
    if count == 0:
        raise ValueError('medoid of no label maps')
    distances = np.zeros((count, count))
    for i in range(count):
        for j in range(i + 1, count):
            distances[i, j] = distances[j, i] = variation_of_information(
                label_maps[i], label_maps[j]
            )
    means = (distances.sum(1) / max(count - 1, 1)).tolist()
    return int(np.argmin(means)), means


def _entropy(codes: np.ndarray) -> float:
    """Entropy in nats of the empirical distribution of integer codes."""
    p = np.unique(codes, return_counts=True)[1] / codes.size
    return float(-(p * np.log(p)).sum())
