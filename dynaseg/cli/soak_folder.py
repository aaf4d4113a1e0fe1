"""Soak test of workers sharing one folder: many tiny images, hard kills, then a resume.

    python tools/soak_folder.py --work-dir work_dirs/soak  # 2,000 images, 3 workers, 5 kills
    python tools/soak_folder.py --work-dir work_dirs/soak --images 200 --kills 2  # a quick one

What it checks: :mod:`dynaseg.reports.soak`. Exit code 0 when every check holds, else 1.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from .options import add_flag


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_flag(parser, 'work-dir', required=True, help='emptied, then holds in/, out/, logs/')
    add_flag(parser, 'images', type=int, default=2000, metavar='N', help='how many (2000)')
    parser.add_argument('--size', type=int, default=16, help='image height and width (pixels)')
    add_flag(parser, 'max-iters', type=int, default=2, help='iterations per image')
    parser.add_argument('--workers', type=int, default=3)
    parser.add_argument('--kills', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0, help='images, kill times and victims')
    add_flag(parser, 'rss-from', type=int, default=100, help='first image of the RSS check')
    add_flag(parser, 'rss-tolerance', type=float, default=0.10)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/soak_folder.py``: run the soak, print its numbers; 0 when every check holds."""
    from dynaseg.reports.soak import run_soak

    results = run_soak(build_parser().parse_args(argv))
    print(json.dumps({k: v for k, v in results.items() if k != 'rss_per_worker'}, indent=2))
    for worker in results['rss_per_worker']:
        print(f'worker {worker}')
    print('soak OK' if results['ok'] else 'soak FAILED')
    return 0 if results['ok'] else 1
