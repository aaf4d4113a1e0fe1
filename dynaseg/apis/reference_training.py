"""Training one network over many images: for Kim et al.'s reference-image mode (one forward
pass per image) and as the starting point of warm-started per-image optimisation
(``model.checkpoint``)."""

from __future__ import annotations

import copy
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import torch
from mmengine.config import Config

from dynaseg.engine.reference_image import ReferenceTrainRecord
from dynaseg.engine.weights import save_extractor_weights
from dynaseg.models.segmentors import DynaSegReferenceImage, reference_image_config
from dynaseg.utils.fileio import save_json
from dynaseg.utils.image_io import DEFAULT_MAX_PIXELS, list_images, load_image
from dynaseg.utils.scribble_io import is_scribble_file

from .inference import build_segmentor, image_to_tensor

__all__ = ['intermediate_checkpoint', 'train_reference_folder', 'training_images']


def training_images(
    folders: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], limit: int | None = None
) -> list[Path]:
    """The images of one or more folders, each folder sorted, in the order given.

    ``*_scribble.png`` masks are left out; ``limit`` keeps an evenly spaced subset of the whole
    list (None = all).
    """
    if isinstance(folders, (str, os.PathLike)):
        folders = [folders]
    images: list[Path] = []
    for folder in folders:
        listed, _ = list_images(folder)
        images += [p for p in listed if not is_scribble_file(p)]
    if limit is not None and 0 < limit < len(images):
        images = [images[i] for i in np.linspace(0, len(images) - 1, limit).round().astype(int)]
    if not images:
        raise ValueError(f'no training images in {[os.fspath(f) for f in folders]}')
    return images


def intermediate_checkpoint(checkpoint: str | os.PathLike[str], iteration: int) -> Path:
    """Where the state after ``iteration`` steps goes: ``<stem>_iter<iteration><suffix>``."""
    path = Path(checkpoint)
    return path.with_name(f'{path.stem}_iter{iteration}{path.suffix}')


def train_reference_folder(
    train_folder: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    cfg: Config,
    checkpoint: str | os.PathLike[str],
    *,
    iters: int,
    max_pixels: int | None = None,
    limit: int | None = None,
    device: str = 'cpu',
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
    save_every: int | None = None,
    command: str | None = None,
    log: Callable[[str], None] | None = print,
) -> tuple[DynaSegReferenceImage, ReferenceTrainRecord]:
    """Train the config's backbone over the images of one or more folders and save it.

    Writes ``checkpoint`` (a plain state_dict, loadable with ``weights_only=True``), the
    states after every ``save_every`` steps (:func:`intermediate_checkpoint`), and
    ``<checkpoint>.json``: the run record (images, settings, seed, versions, loss and label
    count of every step, seconds), so that the file can be regenerated.

    Args:
        train_folder: a folder or several; their images are trained on together.
        cfg: the DynaSeg config; its backbone, loss, optimiser, seed and ``model.reference``
            (``max_pixels``: the training/inference scale) are used.
        checkpoint: where the plain state_dict goes.
        iters: SGD steps; the images are cycled in a seeded, reshuffled order.
        max_pixels: training size cap; default ``model.reference.max_pixels``.
        limit: train on an evenly spaced subset of this many images (None = all).
        device: ``'cpu'`` or ``'cuda'``.
        max_image_pixels: larger images are refused.
        save_every: also save the state after every this many steps (None = only the end).
        command: the command line to record (None = not recorded).
        log: progress lines (every 10% of the iterations), or None.

    Returns:
        The trained segmentor and its :class:`~dynaseg.engine.reference_image.ReferenceTrainRecord`.
    """
    if save_every is not None and save_every < 1:
        raise ValueError(f'save_every must be >= 1, got {save_every}')
    folders = [train_folder] if isinstance(train_folder, (str, os.PathLike)) else train_folder
    images = training_images(folders, limit)
    # The checkpoint is this function's output: never load one the config names.
    cfg = copy.deepcopy(cfg)
    cfg.model = reference_image_config(cfg.model, checkpoint=None)
    model = cast(DynaSegReferenceImage, build_segmentor(cfg, device))
    tensors = [image_to_tensor(load_image(p, max_pixels=max_image_pixels), model) for p in images]
    every = max(1, iters // 10)

    def on_iteration(it: int, loss: float, q: int) -> None:
        if save_every is not None and it % save_every == 0 and it != iters:
            save_extractor_weights(model.backbone, intermediate_checkpoint(checkpoint, it))
        if log is not None and (it % every == 0 or it == iters):
            log(f'iter {it}/{iters}: loss {loss:.4f}, {q} labels')

    record = model.train_reference(tensors, iters, max_pixels, on_iteration=on_iteration)
    save_extractor_weights(model.backbone, checkpoint)
    save_json(
        f'{os.fspath(checkpoint)}.json',
        {
            'command': command,
            'folders': [_portable(f) for f in folders],
            'images': [p.name for p in images],
            'iters': iters,
            'max_pixels': model.reference_cfg['max_pixels'] if max_pixels is None else max_pixels,
            'seed': model.seed,
            'model': cfg.model,
            'save_every': save_every,
            'torch': torch.__version__,
            'python': platform.python_version(),
            'device': device,
            'seconds': record.seconds,
            'losses': record.losses,
            'label_counts': record.label_counts,
        },
    )
    if log is not None:
        log(
            f'trained on {len(images)} images, {iters} iterations in {record.seconds:.1f} s; '
            f'checkpoint {checkpoint}'
        )
    return model, record


def _portable(path: str | os.PathLike[str]) -> str:
    """A folder as typed when relative, else only its name: records hold no machine's paths."""
    return os.fspath(path) if not Path(path).is_absolute() else Path(path).name
