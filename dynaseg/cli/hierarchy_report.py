"""Render docs/results/hierarchy.md from committed records (dynaseg/reports/hierarchy.py).

python tools/hierarchy_report.py [--collect ROW_SPLIT=BENCH_DIR ...] [--output PATH]
python tools/hierarchy_report.py --figure IMAGE HIERARCHY PNG
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    from dynaseg.reports.hierarchy import OUTPUT

    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--collect',
        nargs='*',
        default=[],
        metavar='ROW_SPLIT=DIR',
        help='first copy the records of a dynaseg-miou --bench-out folder, e.g. '
        'default_test=work_dirs/hier_bench_test',
    )
    parser.add_argument('--output', default=str(OUTPUT))
    parser.add_argument(
        '--figure',
        nargs=3,
        metavar=('IMAGE', 'HIERARCHY', 'PNG'),
        help='instead: draw one photo cut at four levels from its saved hierarchy (.mat)',
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/hierarchy_report.py``: collect, then render (or draw the figure)."""
    args = build_parser().parse_args(argv)
    from dynaseg.reports.hierarchy import collect, figure, render

    if args.figure:
        image, tree, png = (Path(p) for p in args.figure)
        figure(image, tree, png)
        print(f'wrote {png}')
        return 0
    for item in args.collect:
        key, _, folder = item.partition('=')
        name, _, split = key.rpartition('_')
        if not (name and split and folder):
            print(f'error: --collect takes ROW_SPLIT=DIR, got {item!r}', file=sys.stderr)
            return 2
        print(f'collected {collect(name, split, Path(folder))}')
    Path(args.output).write_text(render())
    print(f'wrote {args.output}')
    return 0
