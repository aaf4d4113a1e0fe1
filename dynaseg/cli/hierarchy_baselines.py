"""The classical rows of the hierarchy benchmark, per image.

Writes ``<out>/<id>.npz`` for every BSDS500 image of a split: ``segs`` (T, H, W), regions
numbered from 1 (``fh-set``), or ``ucm2`` (the other methods), which ``dynaseg-miou
--bsds-bench`` scores. Resumable: an image whose file exists is skipped.

    python tools/hierarchy_baselines.py --method fh-set --split test --out work_dirs/hb/fh_test
    python tools/hierarchy_baselines.py --method colour-tree --leaves fh --split test --out ...
    python tools/hierarchy_baselines.py --method colour-tree --leaves work_dirs/x/preds ...
    python tools/hierarchy_baselines.py --method watershed-colour --split test --out ...
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .options import add_data_root, add_flag, add_split


def build_parser() -> argparse.ArgumentParser:
    from dynaseg.hierarchy.baselines import METHODS

    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--method', choices=METHODS, required=True)
    add_split(parser, default='test')
    add_data_root(parser)
    add_flag(parser, 'images', type=int, default=0, metavar='N', help='first N only (0: all)')
    parser.add_argument(
        '--leaves',
        default='fh',
        help="colour-tree: 'fh' (FH's fine regions, scale 100) or a folder of <id>.png label "
        "maps (e.g. a DynaSeg run's preds/: the ablation of its merge criterion)",
    )
    parser.add_argument('--out', required=True, help='output folder of <id>.npz')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/hierarchy_baselines.py``: one method's files for a split; exit 2 without images."""
    from dynaseg.apis.dataset_runner import DEFAULT_DATA_ROOT, dataset_folder
    from dynaseg.hierarchy.baselines import write_image_outputs

    args = build_parser().parse_args(argv)
    images = dataset_folder(args.data_root or DEFAULT_DATA_ROOT, 'bsds500') / 'images' / args.split
    paths = sorted(images.glob('*.jpg'))
    if not paths:
        print(f'error: no BSDS500 images in {images}', file=sys.stderr)
        return 2
    if args.images:
        paths = paths[: args.images]
    out = Path(args.out)
    start = time.perf_counter()
    for index, image_id in write_image_outputs(args.method, paths, out, args.leaves):
        print(f'[{index}/{len(paths)}] {image_id}', flush=True)
    print(f'{len(paths)} images in {out} ({time.perf_counter() - start:.0f} s)')
    return 0
