"""Evaluation: pure scoring functions (``functional``), registered mmengine metrics (``metrics``).

Importing this package loads only numpy/scipy code, so label-map tools such as
``tools/calculate_mIOU.py`` start without torch. The metric classes need mmengine
(and so torch); they are imported on first attribute access, or registered
explicitly by importing :mod:`dynaseg.evaluation.metrics`.
"""

from importlib import import_module
from typing import Any

from .functional import *  # noqa: F403 -- the functional API is re-exported as a whole
from .functional import __all__ as _functional_all

_METRICS = ('KimSegmentMIoU', 'CocoStuffMetric', 'BSDSRegionMetric')

__all__ = list(_functional_all) + list(_METRICS)


def __getattr__(name: str) -> Any:
    # PEP 562 lazy attribute: the metric classes pull in mmengine/torch only when asked for.
    if name in _METRICS:
        return getattr(import_module('.metrics', __name__), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
