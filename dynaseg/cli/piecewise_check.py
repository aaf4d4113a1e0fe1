"""Does a config find the 3-5 regions a user sees in held-out piecewise-constant pictures?

    python tools/piecewise_check.py [--config FILE ...] [--images 20] [--first-seed 1000] \\
        [--threads 1] [--out docs/log/piecewise.md]

Every config segments seeded pictures it was not chosen on (:mod:`dynaseg.reports.piecewise`);
one Markdown row per config.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .options import add_flag


def build_parser() -> argparse.ArgumentParser:
    from dynaseg.apis import DEFAULT_CONFIG

    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--config', nargs='+', default=[str(DEFAULT_CONFIG)], help='configs to score')
    p.add_argument('--images', type=int, default=20, help='how many seeds (images)')
    add_flag(p, 'first-seed', type=int, default=1000, help='seed of the first image')
    p.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    p.add_argument('--out', help='write the Markdown table here (atomically)')
    return p


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = build_parser()
    args = p.parse_args(argv)
    if args.images < 1:
        p.error('--images must be at least 1')
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/piecewise_check.py``: score every config, print (and write ``--out``) the table."""
    import numpy as np
    import torch

    from dynaseg.reports.piecewise import score_config, table
    from dynaseg.reports.stamp import stamp_text
    from dynaseg.utils.fileio import save_text

    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    for config in args.config:
        if not Path(config).is_file():
            raise SystemExit(f'error: config file not found: {config}')
    torch.set_num_threads(args.threads)
    seeds = range(args.first_seed, args.first_seed + args.images)
    results = {}
    for config in args.config:
        results[config] = score_config(config, seeds)
        iou = np.array([r['iou'] for r in results[config]])
        print(f'{config}: mean best-match IoU {iou.mean():.3f} (min {iou.min():.3f})', flush=True)
    text = table(results, args, argv)
    print(text)
    if args.out:
        save_text(args.out, stamp_text(text))
    return 0
