"""Restamp every generated page: the line under its title naming the config it was generated for
and whether that is still the default (:mod:`dynaseg.reports.stamp`).

    python tools/stamp_docs.py [FOLDER ...]    # default: docs/
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    from dynaseg.reports.provenance import REPO_ROOT

    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('folders', nargs='*', default=[str(REPO_ROOT / 'docs')])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/stamp_docs.py``: rewrite the stamp of every page whose stamp is out of date."""
    from dynaseg.reports.stamp import generated_pages, stamp_text
    from dynaseg.utils.fileio import save_text

    args = build_parser().parse_args(argv)
    for folder in args.folders:
        for path in generated_pages(Path(folder)):
            text = path.read_text(encoding='utf-8')
            stamped = stamp_text(text)
            if stamped != text:
                save_text(path, stamped)
                print(f'stamped {path}')
    return 0
