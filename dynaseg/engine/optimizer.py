"""The optimiser of the per-image loop: Kim et al.'s default, and one fresh optimiser per run.

Apart from the loop (``loop.py``) because the reference-image training (``reference_image.py``)
builds its optimiser the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor

#: Kim et al.'s optimiser, the default everywhere one is not configured.
DEFAULT_OPTIMIZER = dict(type='SGD', lr=0.1, momentum=0.9)


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
