#!/usr/bin/env python
"""Figure for the README: image | scribbles | DynaSeg without | with scribble guidance.

    python tools/scribble_figure.py --image IMG.jpg --scribble IMG_scribble.png \
        --out assets/scribble_example.png [--cfg-options model.schedule.max_pixels=40000]
"""

from __future__ import annotations

import argparse

import cv2

from dynaseg.apis import build_segmentor, image_to_tensor, load_config
from dynaseg.cli import add_cfg_options
from dynaseg.utils.fileio import save_image
from dynaseg.utils.image_io import load_image
from dynaseg.utils.scribble_io import read_scribble
from dynaseg.visualization import colorize_labels, make_grid, overlay


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--image', required=True)
    parser.add_argument('--scribble', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--config', default=None, help='default: DynaSeg-SCF, CNN, fast schedule')
    parser.add_argument('--max-side', type=int, default=320, help='panel size in the figure')
    add_cfg_options(parser)
    args = parser.parse_args()

    model = build_segmentor(load_config(args.config, args.cfg_options))
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


if __name__ == '__main__':
    main()
