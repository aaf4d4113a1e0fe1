"""``tools/train_reference.py``: train the reference-image network once over a folder of images."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .options import (
    add_cfg_options,
    add_config,
    add_device_options,
    add_flag,
    config_or_refusal,
    torch_threads,
)


def build_parser() -> argparse.ArgumentParser:
    """``tools/train_reference.py``: train the reference-image network over a folder."""
    parser = argparse.ArgumentParser(
        description="Train DynaSeg's reference-image mode: one network over a folder of images."
    )
    add_config(parser, what='a DynaSeg config (its backbone is trained)')
    add_flag(
        parser,
        'train-folder',
        required=True,
        nargs='+',
        help='folder(s) of training images (e.g. BSDS500 train and val; never a test split)',
    )
    parser.add_argument(
        '--out', required=True, help='checkpoint path to write (its run record: <out>.json)'
    )
    add_flag(
        parser,
        'save-every',
        type=int,
        help='also save the state every N steps (<out stem>_iterN.pth)',
    )
    parser.add_argument('--iters', type=int, default=1000, help='SGD iterations (default 1000)')
    add_flag(
        parser,
        'max-pixels',
        type=int,
        help='training size cap per image (default: model.reference.max_pixels)',
    )
    add_flag(
        parser,
        'images',
        '--limit',
        type=int,
        metavar='N',
        help='train on an evenly spaced subset of N images',
    )
    add_device_options(parser)
    add_cfg_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/train_reference.py``: train the reference-image network; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from dynaseg.apis.inference import load_config
    from dynaseg.apis.reference_training import train_reference_folder

    cfg = config_or_refusal(parser, args, lambda args: load_config(args.config, args.cfg_options))
    if cfg is None:
        return 2
    with torch_threads(args.threads, args.device):
        try:
            train_reference_folder(
                args.train_folder,
                cfg,
                args.out,
                iters=args.iters,
                max_pixels=args.max_pixels,
                limit=args.images,
                device=args.device,
                save_every=args.save_every,
                command=' '.join(['python', 'tools/train_reference.py', *(argv or sys.argv[1:])]),
            )
        except (FileNotFoundError, NotADirectoryError, ValueError) as err:
            print(f'error: {err}', file=sys.stderr)
            return 2
    return 0
