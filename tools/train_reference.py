"""Train DynaSeg's reference-image mode: one network over a folder of images.

Usage:
    python tools/train_reference.py \
        --config configs/dynaseg/dynaseg-scf_cnn-m2_reference_bsds500.py \
        --train-folder data/bsds500/images/train --out work_dirs/reference/bsds500.pth \
        [--iters 1000] [--max-pixels 40000] [--limit N] [--device cpu|cuda] [--threads N] \
        [--cfg-options key=value ...]

The checkpoint is a plain state_dict of the config's backbone
(``torch.load(..., weights_only=True)`` reads it). Segment new images with one forward pass each:
    python tools/DynaSeg_SCF_BSD_VOC.py --config <same config> --reference-checkpoint <out> \
        --input_folder IMAGES --output_folder OUT
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mmengine.config import DictAction

try:
    from dynaseg.apis.folder import train_reference_folder
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dynaseg.apis.folder import train_reference_folder
from dynaseg.apis.inference import load_config


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', required=True, help='DynaSeg config (its backbone is trained)')
    parser.add_argument('--train-folder', required=True, help='folder of training images')
    parser.add_argument('--out', required=True, help='checkpoint path to write')
    parser.add_argument('--iters', type=int, default=1000, help='SGD iterations (default 1000)')
    parser.add_argument(
        '--max-pixels',
        type=int,
        help='training size cap per image (default: model.reference.max_pixels)',
    )
    parser.add_argument(
        '--limit', type=int, help='train on an evenly spaced subset of this many images'
    )
    parser.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={}, help='config overrides key=value'
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    try:
        cfg = load_config(args.config, args.cfg_options)
        train_reference_folder(
            args.train_folder,
            cfg,
            args.out,
            iters=args.iters,
            max_pixels=args.max_pixels,
            limit=args.limit,
            device=args.device,
        )
    except (FileNotFoundError, NotADirectoryError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
