"""How strongly spatial continuity counts, as a function of the current label count q.

    SCF (spatial-continuity focus, DynaSeg):  w(q) = mu / q   (mu = 50)
    FSF (feature-similarity focus, DynaSeg):  w(q) = q / mu   (mu = 15)
    fixed (Kim et al. TIP 2020):              w(q) = mu       (their demo: 1)

SCF raises the continuity weight as labels merge, FSF lowers it; the choice is
independent of the feature extractor. A new scheme is one more small class here.
"""

from __future__ import annotations

from torch import Tensor

from dynaseg.registry import MODELS

Count = int | float | Tensor


class DynamicWeight:
    """Base class: ``weight(q)`` for a label count q >= 1 (int or 0-d tensor)."""

    def __init__(self, mu: float) -> None:
        if mu <= 0:
            raise ValueError(f'{type(self).__name__}: mu must be positive, got {mu}')
        self.mu = float(mu)

    def __call__(self, q: Count) -> Count:
        return self.weight(q)

    def weight(self, q: Count) -> Count:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f'{type(self).__name__}(mu={self.mu:g})'


@MODELS.register_module()
class SCFWeight(DynamicWeight):
    """Spatial-continuity focus: ``mu / q``."""

    def __init__(self, mu: float = 50.0) -> None:
        super().__init__(mu)

    def weight(self, q: Count) -> Count:
        return self.mu / q


@MODELS.register_module()
class FSFWeight(DynamicWeight):
    """Feature-similarity focus: ``q / mu``."""

    def __init__(self, mu: float = 15.0) -> None:
        super().__init__(mu)

    def weight(self, q: Count) -> Count:
        return q / self.mu


@MODELS.register_module()
class FixedWeight(DynamicWeight):
    """Kim et al.'s constant weight ``mu``, whatever q is."""

    def __init__(self, mu: float = 1.0) -> None:
        super().__init__(mu)

    def weight(self, q: Count) -> Count:
        return self.mu
