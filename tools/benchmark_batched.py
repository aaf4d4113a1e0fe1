#!/usr/bin/env python
"""Throughput of batched per-image optimisation against one image at a time.

N small images (BSDS500 test images downscaled and centre-cropped to --size x --size, or
synthetic piecewise images when the data is absent) are each segmented by their own
seeded network for a fixed number of iterations (min_labels 0, no patience, so every
mode does the same work). Modes:

* ``one-at-a-time``: ``optimize_image`` per image (the engine's normal path);
* ``batch=B``: ``optimize_many`` with batch size B (B grouped models per forward).

Modes are interleaved within each repeat (the machine is shared and noisy); the table
gives the median images per minute over repeats, the speed-up over one-at-a-time, and
the pixel agreement of each batched mode's labels with the one-at-a-time labels.

Example:
    python tools/benchmark_batched.py --num-images 16 --size 64 --iters 50 --batch-sizes 1 4 8
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from dynaseg.engine import DEFAULT_OPTIMIZER, Schedule, optimize_image, optimize_many
from dynaseg.models.backbones import DynaSegCNN
from dynaseg.models.losses import DynaSegLoss
from dynaseg.testing import piecewise_image
from dynaseg.utils.image_io import load_image

REPO = Path(__file__).resolve().parents[1]
SGD = DEFAULT_OPTIMIZER


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        '--data-root',
        default=str(REPO.parent / 'shared' / 'data' / 'bsds500'),
        help='BSDS500 root with images/test; synthetic images when it is missing',
    )
    p.add_argument(
        '--synthetic', action='store_true', help='use synthetic images even if data exists'
    )
    p.add_argument('--num-images', type=int, default=16)
    p.add_argument('--size', type=int, default=64, help='square crop side in pixels')
    p.add_argument('--iters', type=int, default=50, help='iterations per image')
    p.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 4, 8])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument(
        '--threads', type=int, default=None, help='torch intra-op threads (default: as is)'
    )
    p.add_argument('--channels', type=int, default=100, help='p = q_max of DynaSegCNN')
    p.add_argument('--num-convs', type=int, default=2, help='M of DynaSegCNN')
    p.add_argument('--no-channels-last', action='store_true')
    return p.parse_args()


def load_images(args: argparse.Namespace) -> tuple[list[torch.Tensor], str]:
    """N tensors (1, 3, size, size) in [0, 1] and a description of where they came from."""
    folder = Path(args.data_root) / 'images' / 'test'
    paths = sorted(folder.glob('*.jpg'))[: args.num_images] if folder.is_dir() else []
    arrays: list[np.ndarray] = []
    if paths and not args.synthetic:
        for path in paths:
            image = Image.fromarray(load_image(path))
            # Short side to `size`, then the central square: a small natural image.
            scale = args.size / min(image.size)
            width, height = (max(args.size, round(s * scale)) for s in image.size)
            image = image.resize((width, height), Image.BILINEAR)
            left, top = (width - args.size) // 2, (height - args.size) // 2
            arrays.append(np.asarray(image.crop((left, top, left + args.size, top + args.size))))
        source = f'BSDS500 test ({folder}), first {len(arrays)} ids'
    # Top up (or replace) with synthetic images so there are always num_images.
    for seed in range(len(arrays), args.num_images):
        arrays.append(piecewise_image(args.size, args.size, seed=seed)[0])
    if not paths or args.synthetic:
        source = 'synthetic piecewise images'
    tensors = [torch.from_numpy(a.copy()).permute(2, 0, 1).float()[None] / 255.0 for a in arrays]
    return tensors, source


def main() -> None:
    args = parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    images, source = load_images(args)
    seeds = list(range(len(images)))
    schedule = Schedule(max_iters=args.iters, min_labels=0)
    loss_fn = DynaSegLoss(dict(type='SCFWeight'))
    channels_last = not args.no_channels_last

    def factory() -> DynaSegCNN:
        return DynaSegCNN(
            channels=args.channels, out_channels=args.channels, num_convs=args.num_convs
        )

    def one_at_a_time() -> list[np.ndarray]:
        return [
            optimize_image(
                image, factory, loss_fn, SGD, schedule, seed=seed, channels_last=channels_last
            )[0]
            for image, seed in zip(images, seeds)
        ]

    def batched(batch_size: int):
        def run() -> list[np.ndarray]:
            return [
                labels
                for labels, _ in optimize_many(
                    images,
                    factory,
                    loss_fn,
                    SGD,
                    schedule,
                    seeds,
                    batch_size=batch_size,
                    channels_last=channels_last,
                )
            ]

        return run

    modes = {'one-at-a-time': one_at_a_time}
    modes.update({f'batch={b}': batched(b) for b in args.batch_sizes})
    # Warm-up: first calls pay for registry imports and oneDNN kernel selection.
    small = images[:1]
    optimize_image(small[0], factory, loss_fn, SGD, Schedule(max_iters=2, min_labels=0))
    optimize_many(small * 2, factory, loss_fn, SGD, Schedule(max_iters=2, min_labels=0), [0, 1])

    seconds: dict[str, list[float]] = {name: [] for name in modes}
    labels: dict[str, list[np.ndarray]] = {}
    names = list(modes)
    for repeat in range(args.repeats):
        # Rotate the order so no mode always runs first (or right after the slowest).
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            start = time.perf_counter()
            labels[name] = modes[name]()
            seconds[name].append(time.perf_counter() - start)

    print(
        f'images: {len(images)} x {args.size}x{args.size} ({source}); '
        f'{args.iters} iterations each, DynaSegCNN M={args.num_convs} p=q={args.channels}, SGD; '
        f'threads={torch.get_num_threads()}; '
        f'channels_last={channels_last}; medians of {args.repeats} interleaved repeats'
    )
    reference = labels['one-at-a-time']
    base = statistics.median(seconds['one-at-a-time'])
    print(
        f'{"mode":<15}{"median s":>10}{"images/min":>12}{"speed-up":>10}{"pixel agree":>13}'
        f'{"all runs (s)":>28}'
    )
    for name in names:
        median = statistics.median(seconds[name])
        agree = np.mean([(a == b).mean() for a, b in zip(labels[name], reference)])
        runs = ' '.join(f'{s:.1f}' for s in seconds[name])
        print(
            f'{name:<15}{median:>10.2f}{len(images) * 60 / median:>12.1f}{base / median:>9.2f}x'
            f'{agree:>13.4f}{runs:>28}'
        )


if __name__ == '__main__':
    main()
