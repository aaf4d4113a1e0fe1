"""Choose a hierarchy's merge criterion on val without optimising once per candidate.

``capture``: run the default on the first N images of a BSDS500 split, keeping each image's
finished labels and its final response. ``score``: the region benchmark of each merge setting
on the captures (:mod:`dynaseg.hierarchy.probe`).

    python tools/hierarchy_probe.py capture --split val --images 20 --out work_dirs/probe
    python tools/hierarchy_probe.py score --captures work_dirs/probe --split val \\
        --setting "tree='volume'" --setting "tree='volume', unit_response=False"
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .options import add_data_root, add_flag, add_split, torch_threads


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    for name in ('capture', 'score'):
        one = sub.add_parser(name)
        add_split(one, default='val')
        add_data_root(one)
        add_flag(one, 'images', type=int, default=20, metavar='N', help='the first N (20)')
    capture = sub.choices['capture']
    capture.add_argument('--out', required=True, help='folder of <id>.npz captures')
    capture.add_argument('--threads', type=int, default=1, help='torch CPU threads (default 1)')
    score = sub.choices['score']
    score.add_argument('--captures', required=True, help='the folder capture wrote')
    score.add_argument(
        '--setting',
        action='append',
        default=[],
        help='MergeHierarchy keyword arguments, e.g. "tree=\'volume\'" (repeatable)',
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/hierarchy_probe.py``: capture or score; exit 2 when the split has no images."""
    from dynaseg.apis.dataset_runner import DEFAULT_DATA_ROOT, dataset_folder
    from dynaseg.hierarchy.probe import capture, parse_setting, score_setting

    args = build_parser().parse_args(argv)
    root = dataset_folder(args.data_root or DEFAULT_DATA_ROOT, 'bsds500')
    image_root, gt_root = root / 'images' / args.split, root / 'groundTruth' / args.split
    if args.command == 'capture':
        images = sorted(image_root.glob('*.jpg'))[: args.images]
        if not images:
            print(f'error: no BSDS500 images in {image_root}', file=sys.stderr)
            return 2
        with torch_threads(args.threads):
            for image_id in capture(images, Path(args.out)):
                print(image_id, flush=True)
        return 0
    captures = sorted(Path(args.captures).glob('*.npz'))[: args.images or None]
    for text in args.setting:
        r = score_setting(parse_setting(text), captures, image_root, gt_root)
        print(
            f'{text:50s} {len(captures)} images: covering {r["covering_ods"]:.3f} / '
            f'{r["covering_ois"]:.3f}, PRI {r["pri_ods"]:.3f} / {r["pri_ois"]:.3f}, '
            f'VOI {r["voi_ods"]:.3f} / {r["voi_ois"]:.3f} (ODS / OIS)',
            flush=True,
        )
    return 0
