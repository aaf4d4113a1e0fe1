"""Reference-image mode's training over a folder: one network for many images (Kim et al.)."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import cast

import numpy as np
from mmengine.config import Config

from dynaseg.engine.reference_image import save_reference_checkpoint
from dynaseg.models.segmentors import DynaSegReferenceImage, reference_image_config
from dynaseg.utils.image_io import DEFAULT_MAX_PIXELS, list_images, load_image
from dynaseg.utils.scribble_io import is_scribble_file

from .inference import build_segmentor, image_to_tensor

__all__ = ['train_reference_folder']


def train_reference_folder(
    train_folder: str | os.PathLike[str],
    cfg: Config,
    checkpoint: str | os.PathLike[str],
    *,
    iters: int,
    max_pixels: int | None = None,
    limit: int | None = None,
    device: str = 'cpu',
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
    log: Callable[[str], None] | None = print,
):
    """Reference-image mode: train the config's backbone over a folder's images, save it.

    Args:
        train_folder: images to train on (``*_scribble.png`` masks are left out).
        cfg: the DynaSeg config; its backbone, loss, optimiser, seed and ``model.reference``
            (``max_pixels``: the training/inference scale) are used.
        checkpoint: where the plain state_dict goes (loadable with ``weights_only=True``).
        iters: SGD steps; the images are cycled in a seeded, reshuffled order.
        max_pixels: training size cap; default ``model.reference.max_pixels``.
        limit: train on an evenly spaced subset of this many images (None = all).
        device: ``'cpu'`` or ``'cuda'``.
        max_image_pixels: larger images are refused.
        log: progress lines (every 10% of the iterations), or None.

    Returns:
        The trained segmentor (in reference mode) and its
        :class:`~dynaseg.engine.reference_image.ReferenceTrainRecord`.
    """
    images, _ = list_images(train_folder)
    images = [p for p in images if not is_scribble_file(p)]
    if limit is not None and 0 < limit < len(images):
        images = [images[i] for i in np.linspace(0, len(images) - 1, limit).round().astype(int)]
    if not images:
        raise ValueError(f'no training images in {str(train_folder)!r}')
    # The checkpoint is this function's output: never load one the config names.
    cfg = copy.deepcopy(cfg)
    cfg.model = reference_image_config(cfg.model, checkpoint=None)
    model = cast(DynaSegReferenceImage, build_segmentor(cfg, device))
    tensors = [image_to_tensor(load_image(p, max_pixels=max_image_pixels), model) for p in images]
    every = max(1, iters // 10)

    def report(it: int, loss: float, q: int) -> None:
        if log is not None and (it % every == 0 or it == iters):
            log(f'iter {it}/{iters}: loss {loss:.4f}, {q} labels')

    record = model.train_reference(tensors, iters, max_pixels, on_iteration=report)
    save_reference_checkpoint(model.backbone, checkpoint)
    if log is not None:
        log(
            f'trained on {len(images)} images, {iters} iterations in {record.seconds:.1f} s; '
            f'checkpoint {checkpoint}'
        )
    return model, record
