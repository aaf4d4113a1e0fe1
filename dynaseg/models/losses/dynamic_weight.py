"""How strongly spatial continuity counts, as a function of the current label count q.

    SCF (spatial-continuity focus, DynaSeg):  w(q) = mu / q   (mu = 50)
    FSF (feature-similarity focus, DynaSeg):  w(q) = q / mu   (mu = 15)
    fixed (Kim et al. TIP 2020):              w(q) = mu       (their demo: 1)

SCF raises the continuity weight as labels merge, FSF lowers it; the choice is
independent of the feature extractor. A new scheme is one more small class here, registered
with its plain name, row label and default mu; every table of weightings (the ``--weighting``
flag, report rows) is read from the registry by :func:`registered_weightings`.
"""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from dynaseg.registry import MODELS

Count = int | float | Tensor


class DynamicWeight:
    """Base class: ``weight(q)`` for a label count q >= 1 (int or 0-d tensor).

    A subclass states, as class attributes:

    - ``name``: its plain name (``--weighting NAME``, ``segment_image(weighting=NAME)``);
    - ``label``: how a report row names it, followed by ``mu=<value>``;
    - ``formula``: ``w(q)`` in words, for the flag's help;
    - ``default_mu``: the mu it is built with when the config gives none.
    """

    name: ClassVar[str] = ''
    label: ClassVar[str] = ''
    formula: ClassVar[str] = ''
    default_mu: ClassVar[float] = 1.0

    def __init__(self, mu: float | None = None) -> None:
        mu = self.default_mu if mu is None else mu
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

    name, label, formula, default_mu = 'scf', 'DynaSeg-SCF,', 'mu/q', 50.0

    def weight(self, q: Count) -> Count:
        return self.mu / q


@MODELS.register_module()
class FSFWeight(DynamicWeight):
    """Feature-similarity focus: ``q / mu``."""

    name, label, formula, default_mu = 'fsf', 'DynaSeg-FSF,', 'q/mu', 15.0

    def weight(self, q: Count) -> Count:
        return q / self.mu


@MODELS.register_module()
class FixedWeight(DynamicWeight):
    """Kim et al.'s constant weight ``mu``, whatever q is."""

    name, label, formula, default_mu = 'fixed', 'Kim et al., fixed', 'mu, Kim et al.', 1.0

    def weight(self, q: Count) -> Count:
        return self.mu


def registered_weightings() -> dict[str, type[DynamicWeight]]:
    """Every registered weighting by its plain name, in the order of registration.

    A registered :class:`DynamicWeight` without a ``name`` is left out (it is still built by
    its ``type``); two weightings of one name are a mistake, reported here.
    """
    found: dict[str, type[DynamicWeight]] = {}
    for cls in MODELS.module_dict.values():
        if isinstance(cls, type) and issubclass(cls, DynamicWeight) and cls.name:
            if cls.name in found and found[cls.name] is not cls:
                raise ValueError(
                    f'two weightings are named {cls.name!r}: '
                    f'{found[cls.name].__name__} and {cls.__name__}'
                )
            found[cls.name] = cls
    return found
