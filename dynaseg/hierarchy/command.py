"""``tools/hierarchy_baselines.py``: the classical rows of the hierarchy benchmark, per image.

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

import numpy as np

from dynaseg.utils.fileio import atomic_write, load_label_map
from dynaseg.utils.image_io import load_image

from .baselines import colour_hierarchy, fh_segmentation_set, watershed_colour_hierarchy

METHODS = ('fh-set', 'colour-tree', 'watershed-colour')
#: FH's fine regions, the leaves of ``colour-tree --leaves fh``: the finest scale of the set.
FH_LEAVES = dict(scale=100.0, sigma=0.8, min_size=100)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--method', choices=METHODS, required=True)
    parser.add_argument('--split', default='test', help='BSDS500 split (default test)')
    parser.add_argument(
        '--data-root', default='data', help='folder holding bsds500/ (default data)'
    )
    parser.add_argument('--images', type=int, default=0, help='first N images only (0: all)')
    parser.add_argument(
        '--leaves',
        default='fh',
        help="colour-tree: 'fh' (FH's fine regions, scale 100) or a folder of <id>.png label "
        "maps (e.g. a DynaSeg run's preds/: the ablation of its merge criterion)",
    )
    parser.add_argument('--out', required=True, help='output folder of <id>.npz')
    return parser


def _leaves(leaves: str, img_id: str, rgb: np.ndarray) -> np.ndarray:
    if leaves == 'fh':
        scale, sigma, min_size = FH_LEAVES['scale'], FH_LEAVES['sigma'], FH_LEAVES['min_size']
        return fh_segmentation_set(rgb, [scale], sigma, int(min_size))[0]
    path = Path(leaves) / f'{img_id}.png'
    if not path.is_file():
        raise FileNotFoundError(f'no leaves label map {path}')
    return load_label_map(path)


def image_output(method: str, img_id: str, rgb: np.ndarray, leaves: str) -> dict[str, np.ndarray]:
    """What ``method`` writes for one image: ``segs`` or ``ucm2``."""
    if method == 'fh-set':
        return {'segs': np.stack(fh_segmentation_set(rgb)).astype(np.uint16) + 1}
    if method == 'colour-tree':
        return {'ucm2': colour_hierarchy(_leaves(leaves, img_id, rgb), rgb).ucm2()}
    return {'ucm2': watershed_colour_hierarchy(rgb).ucm2()}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    images = Path(args.data_root) / 'bsds500' / 'images' / args.split
    paths = sorted(images.glob('*.jpg'))
    if not paths:
        print(f'error: no BSDS500 images in {images}', file=sys.stderr)
        return 2
    if args.images:
        paths = paths[: args.images]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for index, path in enumerate(paths, 1):
        target = out / f'{path.stem}.npz'
        if target.exists():
            continue
        output = image_output(args.method, path.stem, load_image(path), args.leaves)
        with atomic_write(target, 'wb') as handle:
            np.savez_compressed(handle, **output)  # type: ignore[arg-type]  # numpy stub: ** may fill allow_pickle
        print(f'[{index}/{len(paths)}] {path.stem}', flush=True)
    print(f'{len(paths)} images in {out} ({time.perf_counter() - start:.0f} s)')
    return 0
