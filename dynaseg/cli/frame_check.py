"""Does a folder of label maps have a border frame? Outer-line change rates against interior ones.

    python tools/frame_check.py PRED_DIR [PRED_DIR ...] [--out docs/log/frame.md]

One Markdown row per folder (:mod:`dynaseg.reports.frame`). With ``--out``, hand-written notes
after a ``<!-- notes -->`` line of an existing report are kept.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('folders', nargs='+', type=Path, help='folders of label maps')
    parser.add_argument('--out', type=Path, help='also write the Markdown table here')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/frame_check.py``: print the table (and write ``--out``); 2 on an empty folder."""
    args = build_parser().parse_args(argv)
    from dynaseg.reports.frame import frame_report, frame_table
    from dynaseg.utils.fileio import save_text

    try:
        table = frame_table(args.folders)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(table, end='')
    if args.out:
        save_text(args.out, frame_report(table, args.folders, args.out))
    return 0
