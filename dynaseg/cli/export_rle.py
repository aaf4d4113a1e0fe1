"""Write every label map of a finished output folder as per-region masks in COCO's RLE JSON.

    python tools/export_rle.py --work-dir out     # out/regions/<stem>.json per out/<stem>.png

Run it after any cut (``dynaseg-segment ... --regions 10`` re-cuts the folder first); the
format is :mod:`dynaseg.utils.rle`'s.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .options import add_flag


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_flag(parser, 'work-dir', required=True, help='a finished dynaseg-segment folder')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/export_rle.py``: ``<work-dir>/regions/<stem>.json``; exit 2 without label maps."""
    args = build_parser().parse_args(argv)
    from dynaseg.utils.fileio import load_label_map
    from dynaseg.utils.rle import save_region_masks

    folder = Path(args.work_dir)
    maps = sorted(folder.glob('*.png'))
    if not maps:
        print(f'error: no label maps (<stem>.png) in {folder}', file=sys.stderr)
        return 2
    (folder / 'regions').mkdir(exist_ok=True)
    for path in maps:
        save_region_masks(folder / 'regions' / f'{path.stem}.json', load_label_map(path), path.name)
    print(f'{len(maps)} files in {folder / "regions"}')
    return 0
