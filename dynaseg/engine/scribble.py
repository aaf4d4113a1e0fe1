"""Scribble guidance of Kim et al. (TIP 2020): user strokes pin some pixels to a label.

A scribble mask is an (H, W) integer map the size of the image: 255 = no scribble, any other
value ``v`` = "this pixel belongs to segment ``v``", where ``v`` indexes a response channel
(so ``v < q_max``). The per-image loss then becomes (Kim et al.'s ``demo.py``)::

    L = L_sim(unscribbled pixels) + scribble_weight * CE(r[scribbled], scribble) + w(q) * L_con

and the optimisation stops once q <= the number of scribble classes (Kim's ``minLabels``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

if TYPE_CHECKING:  # importing dynaseg.models here would be circular (it imports dynaseg.engine)
    from dynaseg.models.losses import DynaSegLoss
    from dynaseg.models.losses.dynaseg_loss import LossOutput

__all__ = [
    'UNLABELLED',
    'ScribbleError',
    'ScribbleLoss',
    'load_scribble',
    'resize_scribble',
    'scribble_classes',
    'scribble_path',
    'validate_scribble',
]

#: Mask value of a pixel without a scribble (Kim et al.'s convention).
UNLABELLED = 255

# Modes whose pixel values are the labels themselves: 8-bit grey and palette indices (VOC style).
_SCRIBBLE_MODES = ('L', 'P')


class ScribbleError(ValueError):
    """An unusable scribble mask; the message is one line naming its source and the reason."""

    def __init__(self, source: str | os.PathLike[str], reason: str) -> None:
        self.source = str(source)
        self.reason = ' '.join(str(reason).split())
        super().__init__(f'invalid scribble mask {self.source!r}: {self.reason}')


def scribble_path(
    image_path: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None
) -> Path:
    """``<stem>_scribble.png`` beside the image, or inside ``folder`` when given."""
    image_path = Path(image_path)
    return Path(folder or image_path.parent) / f'{image_path.stem}_scribble.png'


def load_scribble(
    path: str | os.PathLike[str],
    image_size: tuple[int, int] | None = None,
    q_max: int | None = None,
) -> np.ndarray:
    """Read and validate a scribble PNG.

    Args:
        path: single-channel 8-bit (``L``) or palette (``P``) PNG, 255 = no scribble.
        image_size: (H, W) of the image it belongs to; a mismatch is an error.
        q_max: number of response channels; scribble values must be below it.

    Returns:
        (H, W) int64 mask.

    Raises:
        ScribbleError: missing/unreadable file, colour or 16-bit image, wrong size, no scribbled
            pixel, a value >= q_max.
    """
    from dynaseg.utils.fileio import LabelMapError, load_label_map

    path = Path(path)
    if not path.is_file():
        raise ScribbleError(path, 'no such file')
    try:
        with Image.open(path) as image:
            mode = image.mode
    except Exception as err:  # Pillow raises OSError, SyntaxError, ...
        raise ScribbleError(path, f'unreadable: {type(err).__name__}: {err}') from err
    if mode not in _SCRIBBLE_MODES:
        raise ScribbleError(
            path,
            f'is a {mode} image; a scribble mask must be a single-channel '
            '8-bit (L) or palette (P) PNG whose values are labels, 255 = none',
        )
    try:
        mask = load_label_map(path)  # one reader for every label-like PNG of the package
    except LabelMapError as err:
        raise ScribbleError(path, str(err)) from err
    return validate_scribble(mask, image_size, q_max, source=path)


def validate_scribble(
    mask: np.ndarray | Tensor,
    image_size: tuple[int, int] | None = None,
    q_max: int | None = None,
    *,
    source: str | os.PathLike[str] = '<array>',
) -> np.ndarray:
    """Check an in-memory mask (H, W) and return it as int64.

    Raises:
        ScribbleError: not 2-D, wrong size, negative values, no scribbled pixel, value >= q_max.
    """
    mask = mask.cpu().numpy() if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.ndim != 2:
        raise ScribbleError(source, f'has shape {mask.shape}, expected (H, W)')
    if mask.dtype.kind not in 'iu':
        raise ScribbleError(source, f'has dtype {mask.dtype}, expected integers')
    if image_size is not None and tuple(mask.shape) != tuple(image_size):
        raise ScribbleError(
            source,
            f'is {mask.shape[1]}x{mask.shape[0]} (WxH) but the image is '
            f"{image_size[1]}x{image_size[0]}; it must have the image's size",
        )
    mask = mask.astype(np.int64)
    if mask.min() < 0:
        raise ScribbleError(source, f'has negative value {int(mask.min())}')
    classes = scribble_classes(mask)
    if not classes:
        raise ScribbleError(source, f'has no scribbled pixel (every value is {UNLABELLED})')
    if q_max is not None and classes[-1] >= q_max:
        raise ScribbleError(
            source,
            f'scribble label {classes[-1]} is >= q_max = {q_max} (the '
            f'response channels); use labels 0..{q_max - 1} (255 = none)',
        )
    return mask


def scribble_classes(mask: np.ndarray | Tensor) -> list[int]:
    """Sorted distinct scribble labels of a mask (255 excluded)."""
    values = torch.unique(mask).tolist() if isinstance(mask, Tensor) else np.unique(mask).tolist()
    return [int(v) for v in values if v != UNLABELLED]


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


class ScribbleLoss:
    """The DynaSeg loss with Kim et al.'s scribble term, for one stage's mask.

    ``L_sim`` is averaged over the *unscribbled* pixels only, as in Kim et al.'s code
    (``loss_fn(output[inds_sim], target[inds_sim])``): a scribbled pixel's target is its
    scribble, so pulling it towards its own argmax as well would fight the user. ``L_con`` and
    the label count q (hence w(q)) cover the whole image.

    Args:
        loss_fn: the DynaSeg loss; its weight and ``similarity_weight`` are reused.
        mask: (h, w) int64 at the stage size, 255 = no scribble.
        scribble_weight: factor on the scribble cross-entropy (Kim's ``stepsize_scr``, 0.5).
    """

    def __init__(self, loss_fn: DynaSegLoss, mask: Tensor, scribble_weight: float) -> None:
        self.loss_fn = loss_fn
        flat = mask.flatten()
        self.scribbled = flat != UNLABELLED  # (h*w,) bool
        self.targets = flat[self.scribbled]  # (n_scribbled,) int64
        self.unscribbled = (~self.scribbled).to(torch.float32)  # (h*w,) 0/1 weights
        # Host-side, so the check below costs no device sync per iteration.
        self.max_label = int(self.targets.max()) if self.targets.numel() else -1
        self.scribble_weight = scribble_weight

    def __call__(self, response: Tensor, q_floor: int = 1) -> LossOutput:
        """Loss of one iteration; ``response`` is (1, C, h, w)."""
        from dynaseg.models.losses.dynaseg_loss import (
            LossOutput,
            count_labels,
            spatial_continuity_loss,
        )

        channels = response.shape[1]
        if self.max_label >= channels:
            raise ScribbleError(
                '<mask>',
                f'scribble label {self.max_label} is >= q_max = {channels} (the response channels)',
            )
        flat = response.flatten(2)[0]  # (C, h*w)
        top, labels = flat.max(dim=0)
        # Same fused cross-entropy against the argmax as DynaSegLoss, then a masked mean.
        per_pixel = torch.logsumexp(flat, dim=0) - top
        unscribbled = self.unscribbled.to(per_pixel.device, per_pixel.dtype)
        similarity = (per_pixel * unscribbled).sum() / unscribbled.sum().clamp(min=1)
        scribble = F.cross_entropy(
            flat[:, self.scribbled.to(flat.device)].T, self.targets.to(flat.device)
        )
        continuity = spatial_continuity_loss(response)
        num_labels = count_labels(labels, channels)
        weight = self.loss_fn.weight(num_labels.clamp(min=q_floor).to(response.dtype))
        weight = torch.as_tensor(weight, dtype=response.dtype, device=response.device)
        loss = (
            self.loss_fn.similarity_weight * similarity
            + self.scribble_weight * scribble
            + weight * continuity
        )
        return LossOutput(
            loss,
            labels.view(response.shape[0], *response.shape[2:]),
            num_labels,
            weight.detach(),
            similarity.detach(),
            continuity.detach(),
        )
