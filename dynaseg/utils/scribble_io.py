"""Scribble masks at the edge of the package: naming, reading and the one validation.

A scribble mask is an (H, W) integer map the size of its image: 255 = no scribble, any other
value ``v`` = "this pixel belongs to segment ``v``", where ``v`` indexes a response channel
(so ``v < num_channels``). It is stored as ``<image stem>_scribble.png`` (Kim et al.'s
convention), a single-channel 8-bit (``L``) or palette (``P``) PNG whose values are the labels.

Masks are read and validated here, once, where the file is read; everything downstream (the
segmentor, the engine) receives an already checked array and does no I/O.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from .fileio import LabelMapError, load_label_map

__all__ = [
    'SCRIBBLE_SUFFIX',
    'UNLABELLED',
    'ScribbleError',
    'is_scribble_file',
    'read_scribble',
    'scribble_classes',
    'scribble_path_for',
    'validate_scribble',
]

#: Mask value of a pixel without a scribble (Kim et al.'s convention).
UNLABELLED = 255

#: Suffix of a scribble mask's file name: ``<image stem>_scribble.png``.
SCRIBBLE_SUFFIX = '_scribble.png'

# Modes whose pixel values are the labels themselves: 8-bit grey and palette indices (VOC style).
_SCRIBBLE_MODES = ('L', 'P')


class ScribbleError(ValueError):
    """An unusable scribble mask; the message is one line naming its source and the reason."""

    def __init__(self, source: str | os.PathLike[str], reason: str) -> None:
        self.source = str(source)
        self.reason = ' '.join(str(reason).split())
        super().__init__(f'invalid scribble mask {self.source!r}: {self.reason}')


def scribble_path_for(
    image_path: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None
) -> Path:
    """``<stem>_scribble.png`` beside the image, or inside ``folder`` when given."""
    image_path = Path(image_path)
    return Path(folder or image_path.parent) / f'{image_path.stem}{SCRIBBLE_SUFFIX}'


def is_scribble_file(path: str | os.PathLike[str]) -> bool:
    """True for a scribble mask file name (``*_scribble.png``, any case)."""
    return Path(path).name.lower().endswith(SCRIBBLE_SUFFIX)


def scribble_classes(mask: np.ndarray | torch.Tensor) -> list[int]:
    """Sorted distinct scribble labels of a mask (255 excluded)."""
    unique = torch.unique(mask) if isinstance(mask, torch.Tensor) else np.unique(mask)
    values = unique.tolist()
    return [int(v) for v in values if v != UNLABELLED]


def validate_scribble(
    mask: np.ndarray | torch.Tensor,
    size: tuple[int, int] | None = None,
    num_channels: int | None = None,
    source: str | os.PathLike[str] = '<array>',
) -> np.ndarray:
    """Check an in-memory mask and return it as (H, W) int64.

    Args:
        mask: (H, W) integer map, 255 = no scribble.
        size: (H, W) of the image it belongs to; a mismatch is an error.
        num_channels: response channels (q_max); scribble values must be below it.
        source: what to name in an error (the file, or ``'<array>'``).

    Raises:
        ScribbleError: not 2-D, not integers, wrong size, negative values, no scribbled pixel,
            a value >= num_channels.
    """
    mask = mask.cpu().numpy() if isinstance(mask, torch.Tensor) else np.asarray(mask)
    if mask.ndim != 2:
        raise ScribbleError(source, f'has shape {mask.shape}, expected (H, W)')
    if mask.dtype.kind not in 'iu':
        raise ScribbleError(source, f'has dtype {mask.dtype}, expected integers')
    if size is not None and tuple(mask.shape) != tuple(size):
        raise ScribbleError(
            source,
            f'is {mask.shape[1]}x{mask.shape[0]} (WxH) but the image is '
            f"{size[1]}x{size[0]}; it must have the image's size",
        )
    mask = mask.astype(np.int64)
    if mask.min() < 0:
        raise ScribbleError(source, f'has negative value {int(mask.min())}')
    classes = scribble_classes(mask)
    if not classes:
        raise ScribbleError(source, f'has no scribbled pixel (every value is {UNLABELLED})')
    if num_channels is not None and classes[-1] >= num_channels:
        raise ScribbleError(
            source,
            f'scribble label {classes[-1]} is >= q_max = {num_channels} (the '
            f'response channels); use labels 0..{num_channels - 1} (255 = none)',
        )
    return mask


def read_scribble(
    path: str | os.PathLike[str],
    size: tuple[int, int] | None = None,
    num_channels: int | None = None,
) -> np.ndarray:
    """Read and validate a scribble PNG.

    Args:
        path: single-channel 8-bit (``L``) or palette (``P``) PNG, 255 = no scribble.
        size: (H, W) of the image it belongs to; a mismatch is an error.
        num_channels: response channels (q_max); scribble values must be below it.

    Returns:
        (H, W) int64 mask, 255 = unlabelled.

    Raises:
        ScribbleError: missing/unreadable file, colour or 16-bit image, or any reason of
            :func:`validate_scribble`; the message names the file.
    """
    from PIL import Image

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
    return validate_scribble(mask, size, num_channels, source=path)
