"""Scribble masks at each stage size (Kim et al.'s scribble guidance, TIP 2020).

The engine receives masks already read and validated (``dynaseg.utils.scribble_io``); the
scribble term itself is part of the loss (``DynaSegLoss(..., scribble=...)``). What is left
here is the one tensor operation the stages need: resizing a mask without losing a class.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from dynaseg.utils.scribble_io import scribble_classes


def resize_scribble(mask: Tensor, size: tuple[int, int]) -> Tensor:
    """Nearest-neighbour resize of an (H, W) int64 mask to ``size``, keeping every class.

    Thin strokes can fall between the sampled pixels of a coarse grid; a class that nearest
    sampling loses entirely is splatted back (each of its pixels written to the cell that
    contains it), so every scribble class is honoured at every stage size.
    """
    if tuple(mask.shape) == tuple(size):
        return mask
    height, width = mask.shape
    out_h, out_w = size
    resized = F.interpolate(mask[None, None].float(), size=size, mode='nearest')[0, 0].long()
    for label in set(scribble_classes(mask)) - set(scribble_classes(resized)):
        ys, xs = torch.nonzero(mask == label, as_tuple=True)
        resized[ys * out_h // height, xs * out_w // width] = label
    return resized
