"""Segment a few sample photos bundled with scikit-image and draw a comparison figure.

Usage:
    python tools/demo.py --work-dir demo_out [--images 4] [--max-side 256] [--config NAME] \
        [--overwrite]

Writes ``<work-dir>/images/*.png`` (the samples, downscaled), ``<work-dir>/segmentation/`` (what
tools/DynaSeg_SCF_BSD_VOC.py writes) and ``<work-dir>/demo_grid.png`` (image | labels | overlay per
row). Nothing is downloaded: the samples ship inside scikit-image.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

from dynaseg.apis import DEFAULT_CONFIG, segment_folder
from dynaseg.apis.folder import OtherConfigError
from dynaseg.utils.fileio import ensure_writable_dir, load_label_map, save_image
from dynaseg.visualization import colorize_labels, make_grid, overlay

from .options import (
    add_cfg_options,
    add_config,
    add_device_options,
    add_flag,
    add_setting_flags,
    config_or_refusal,
    refuse,
    torch_threads,
)

# Colourful scikit-image samples that are bundled with the package (no pooch download).
SAMPLES = ('astronaut', 'coffee', 'chelsea', 'rocket')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_flag(
        parser,
        'work-dir',
        '--output-folder',
        required=True,
        help='output folder (created)',
    )
    add_flag(
        parser,
        'images',
        '--num-images',
        type=int,
        default=len(SAMPLES),
        choices=range(1, len(SAMPLES) + 1),
        help=f'how many samples (1-{len(SAMPLES)}, default {len(SAMPLES)})',
    )
    add_flag(
        parser,
        'max-side',
        type=int,
        default=256,
        help='downscale samples so their longer side is at most this '
        '(256 keeps the demo to a couple of minutes on 2 CPU cores)',
    )
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='segment the samples again even where they are done (needed after changing the '
        'config of an earlier demo in the same folder; another --max-side redoes them anyway)',
    )
    add_config(parser, default=DEFAULT_CONFIG)
    add_setting_flags(parser)
    add_device_options(parser)
    add_cfg_options(parser, applied='after the flags above')
    return parser


def write_samples(folder: Path, count: int, max_side: int) -> None:
    """Save the first ``count`` samples as PNG, the longer side scaled to <= ``max_side``."""
    from skimage import data

    for name in SAMPLES[:count]:
        image = Image.fromarray(getattr(data, name)())
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # keeps aspect ratio
        save_image(folder / f'{name}.png', np.asarray(image.convert('RGB')))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    cfg = config_or_refusal(parser, args)
    if cfg is None:
        return 2
    out = Path(args.work_dir)
    images, segmentation = out / 'images', out / 'segmentation'
    ensure_writable_dir(images)
    write_samples(images, args.images, args.max_side)
    start = time.perf_counter()
    try:
        with torch_threads(args.threads, args.device):
            summary = segment_folder(
                images, segmentation, cfg, device=args.device, overwrite=args.overwrite
            )
    except OtherConfigError as err:  # an earlier demo with another config: one line, exit 2
        return refuse(parser, str(err))
    print(summary.format())
    rows = []
    for outcome in summary.done + summary.skipped:
        rgb = np.asarray(Image.open(outcome.image).convert('RGB'))
        labels = load_label_map(segmentation / f'{outcome.stem}.png')
        rows.append([rgb, colorize_labels(labels), overlay(rgb, labels)])
    if rows:
        save_image(out / 'demo_grid.png', make_grid(rows, titles=['image', 'labels', 'overlay']))
    print(
        f'Segmented in {time.perf_counter() - start:.1f} s.\n'
        f'  sample images: {images}\n  label maps, colour and overlay images, records: '
        f'{segmentation}\n  figure: {out / "demo_grid.png"}'
    )
    return summary.exit_code
