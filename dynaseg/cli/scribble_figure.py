"""Figure for the README: image | scribbles | DynaSeg without | with scribble guidance.

    python tools/scribble_figure.py --image IMG.jpg --scribble IMG_scribble.png \
        --out assets/scribble_example.png [--config NAME] [--seed S] \
        [--cfg-options model.schedule.max_pixels=40000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2

from dynaseg.apis import DEFAULT_CONFIG, build_segmentor, image_to_tensor
from dynaseg.utils.fileio import ensure_writable_dir, save_image
from dynaseg.utils.image_io import load_image
from dynaseg.utils.scribble_io import read_scribble
from dynaseg.visualization import colorize_labels, make_grid, overlay

from .options import (
    add_cfg_options,
    add_config,
    add_flag,
    add_setting_flags,
    config_or_refusal,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--image', required=True, help='the photo')
    parser.add_argument(
        '--scribble', required=True, help='its scribble mask (255 = none, other values = label)'
    )
    parser.add_argument('--out', required=True, help='the figure file to write')
    add_config(parser, default=DEFAULT_CONFIG)
    add_flag(
        parser, 'max-side', type=int, default=320, help='panel size in the figure (default 320)'
    )
    add_setting_flags(parser)
    add_cfg_options(parser, applied='after the flags above')
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    cfg = config_or_refusal(parser, args)
    if cfg is None:
        return 2

    # Before two optimisations, not after: a missing output folder is created up front.
    ensure_writable_dir(Path(args.out).resolve().parent)
    model = build_segmentor(cfg)
    rgb = load_image(args.image)
    x = image_to_tensor(rgb, model)
    mask = read_scribble(args.scribble, rgb.shape[:2], model.q_max)
    without, _ = model.segment(x)
    with_scribble, _ = model.segment(x, scribble=mask)
    strokes = rgb.copy()
    strokes[mask != 255] = colorize_labels(mask)[mask != 255]

    def panel(image):
        h, w = image.shape[:2]
        scale = args.max_side / max(h, w)
        return cv2.resize(
            image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_NEAREST
        )

    grid = make_grid(
        [
            [
                panel(rgb),
                panel(strokes),
                panel(overlay(rgb, without)),
                panel(overlay(rgb, with_scribble)),
            ]
        ],
        titles=['image', 'scribbles', 'without', 'with scribbles'],
    )
    save_image(args.out, grid)
    print(f'figure written to {args.out}')
    return 0
