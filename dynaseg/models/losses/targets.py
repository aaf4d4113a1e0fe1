"""L_sim's target, as ``model.loss.target=dict(type=NAME, ...)``: a registered class per kind.

A target either leaves each pixel its own argmax label (``argmax``, the method) or groups the
pixels of each stage image into regions whose majority label every pixel takes (``superpixel``,
:mod:`.superpixel`). A new kind of grouping is one more class registered in
:data:`~dynaseg.registry.LOSS_TARGETS` with a ``regions(images)`` method; the loss does not change.
"""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from dynaseg.registry import LOSS_TARGETS

__all__ = ['ArgmaxTarget', 'LossTarget', 'build_target']


class LossTarget:
    """Base class: the regions of each stage image whose majority label is L_sim's target."""

    #: Whether :meth:`regions` reads the images (the loss then needs them every stage).
    needs_images: ClassVar[bool] = True

    def regions(self, images: Tensor) -> tuple[Tensor, int] | None:
        """(N, h, w) int64 region ids of the (N, 3, h, w) images and the number of ids, or None
        when every pixel keeps its own argmax."""
        raise NotImplementedError


@LOSS_TARGETS.register_module(name='argmax')
class ArgmaxTarget(LossTarget):
    """Each pixel's target is its own argmax label (the method's L_sim): no regions."""

    needs_images = False

    def regions(self, images: Tensor) -> None:
        return None


def build_target(target: dict | None) -> LossTarget:
    """The target of ``model.loss.target`` (None: ``argmax``), refused in one line if its type
    is unknown or its settings are not that type's."""
    settings = dict(target or {})
    kind = settings.pop('type', 'argmax')
    cls = LOSS_TARGETS.get(kind)
    if cls is None:
        raise ValueError(
            f'loss target type must be one of {sorted(LOSS_TARGETS.module_dict)}, got {target!r}'
        )
    try:
        return cls(**settings)
    except TypeError as err:
        raise ValueError(f'loss target {target!r}: {err}') from None
