"""Batched per-image optimisation against one image at a time, on small images.

N small images (BSDS500 test images downscaled and centre-cropped to --size x --size, or
synthetic piecewise images when the data is absent) are each segmented by their own seeded
network for a fixed number of iterations (min_labels 0, no patience, so every mode does the
same work). Modes:

* ``one-at-a-time``: ``optimize_image`` per image (the engine's normal path);
* ``batch=B``: ``optimize_many`` with batch size B (B grouped models per forward).

Modes are interleaved within each repeat (the machine is shared and noisy); the table gives
the median images per minute over repeats, the speed-up over one-at-a-time, and the pixel
agreement of each batched mode's labels with the one-at-a-time labels.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from dynaseg.engine import EngineSettings, Schedule, optimize_image, optimize_many
from dynaseg.models.backbones import DynaSegCNN
from dynaseg.models.losses import DynaSegLoss
from dynaseg.testing import piecewise_image
from dynaseg.utils.image_io import load_image

from .loops import SGD

#: The mode every other is compared with.
ONE_AT_A_TIME = 'one-at-a-time'
Modes = dict[str, Callable[[], list[np.ndarray]]]


def load_images(args: argparse.Namespace) -> tuple[list[torch.Tensor], str]:
    """N tensors (1, 3, size, size) in [0, 1] and a description of where they came from."""
    folder = Path(args.data_root) / 'images' / 'test'
    paths = sorted(folder.glob('*.jpg'))[: args.images] if folder.is_dir() else []
    arrays: list[np.ndarray] = []
    if paths and not args.synthetic:
        for path in paths:
            image = Image.fromarray(load_image(path))
            # Short side to `size`, then the central square: a small natural image.
            scale = args.size / min(image.size)
            width, height = (max(args.size, round(s * scale)) for s in image.size)
            image = image.resize((width, height), Image.Resampling.BILINEAR)
            left, top = (width - args.size) // 2, (height - args.size) // 2
            arrays.append(np.asarray(image.crop((left, top, left + args.size, top + args.size))))
        source = f'BSDS500 test ({folder}), first {len(arrays)} ids'
    # Top up (or replace) with synthetic images so there are always --images of them.
    for seed in range(len(arrays), args.images):
        arrays.append(piecewise_image(args.size, args.size, seed=seed)[0])
    if not paths or args.synthetic:
        source = 'synthetic piecewise images'
    tensors = [torch.from_numpy(a.copy()).permute(2, 0, 1).float()[None] / 255.0 for a in arrays]
    return tensors, source


def batch_modes(
    args: argparse.Namespace, images: list[torch.Tensor]
) -> tuple[Modes, EngineSettings]:
    """One-at-a-time and each ``--batch-sizes`` mode over ``images`` (seed i for image i),
    and the settings they share; each mode returns the labels in order."""
    seeds = list(range(len(images)))
    settings = EngineSettings(
        schedule=Schedule(max_iters=args.iters, min_labels=0),
        channels_last=not args.no_channels_last,
    )
    loss_fn = DynaSegLoss(dict(type='SCFWeight'))

    def factory() -> DynaSegCNN:
        return DynaSegCNN(
            channels=args.channels, out_channels=args.channels, num_convs=args.num_convs
        )

    def one_at_a_time() -> list[np.ndarray]:
        return [
            optimize_image(image, factory, loss_fn, SGD, settings, seed=seed)[0]
            for image, seed in zip(images, seeds)
        ]

    def batched(batch_size: int) -> Callable[[], list[np.ndarray]]:
        def run() -> list[np.ndarray]:
            results = optimize_many(
                images, factory, loss_fn, SGD, settings, seeds, batch_size=batch_size
            )
            return [labels for labels, _ in results]

        return run

    modes: Modes = {ONE_AT_A_TIME: one_at_a_time}
    modes.update({f'batch={b}': batched(b) for b in args.batch_sizes})
    # Warm-up: first calls pay for registry imports and oneDNN kernel selection.
    warm_up = EngineSettings(schedule=Schedule(max_iters=2, min_labels=0))
    optimize_image(images[0], factory, loss_fn, SGD, warm_up)
    optimize_many(images[:1] * 2, factory, loss_fn, SGD, warm_up, [0, 1])
    return modes, settings


def time_modes(
    modes: Modes, repeats: int
) -> tuple[dict[str, list[float]], dict[str, list[np.ndarray]]]:
    """Seconds of every mode per repeat, interleaved, and each mode's last labels."""
    seconds: dict[str, list[float]] = {name: [] for name in modes}
    labels: dict[str, list[np.ndarray]] = {}
    names = list(modes)
    for repeat in range(repeats):
        # Rotate the order so no mode always runs first (or right after the slowest).
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            start = time.perf_counter()
            labels[name] = modes[name]()
            seconds[name].append(time.perf_counter() - start)
    return seconds, labels


def compare_batch_sizes(args: argparse.Namespace) -> None:
    """Time every mode on the small images and print the table (see the module doc)."""
    images, source = load_images(args)
    images = [image.to(args.device) for image in images]
    modes, settings = batch_modes(args, images)
    seconds, labels = time_modes(modes, args.repeats)
    print(
        f'images: {len(images)} x {args.size}x{args.size} ({source}); '
        f'{args.iters} iterations each, DynaSegCNN M={args.num_convs} p=q={args.channels}, SGD; '
        f'threads={torch.get_num_threads()}; '
        f'channels_last={settings.channels_last}; medians of {args.repeats} interleaved repeats'
    )
    one = labels[ONE_AT_A_TIME]
    base = statistics.median(seconds[ONE_AT_A_TIME])
    print(
        f'{"mode":<15}{"median s":>10}{"images/min":>12}{"speed-up":>10}{"pixel agree":>13}'
        f'{"all runs (s)":>28}'
    )
    for name in modes:
        median = statistics.median(seconds[name])
        agree = np.mean([(a == b).mean() for a, b in zip(labels[name], one)])
        runs = ' '.join(f'{s:.1f}' for s in seconds[name])
        print(
            f'{name:<15}{median:>10.2f}{len(images) * 60 / median:>12.1f}{base / median:>9.2f}x'
            f'{agree:>13.4f}{runs:>28}'
        )
