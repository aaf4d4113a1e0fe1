"""Choose a hierarchy's merge criterion on val without optimising once per candidate.

``capture``: run the default on the first N images of a BSDS500 split, keeping each image's
finished labels and its final response (``<out>/<id>.npz``, float16; about 30 MB per photo).
``score``: build a :class:`~dynaseg.hierarchy.MergeHierarchy` per setting on the captures and
print the region benchmark (covering, PRI, VOI at ODS / OIS over 20 levels).

    python tools/hierarchy_probe.py capture --split val --images 20 --out work_dirs/probe
    python tools/hierarchy_probe.py score --captures work_dirs/probe --split val \\
        --setting "tree='volume'" --setting "tree='volume', unit_response=False"
"""

import argparse
import ast
import sys
from pathlib import Path

import numpy as np
import torch

from dynaseg.apis.inference import build_segmentor, image_to_tensor, load_config
from dynaseg.evaluation.functional.bsds_bench import region_benchmark
from dynaseg.evaluation.functional.io import load_bsds_ground_truth
from dynaseg.hierarchy import MergeHierarchy
from dynaseg.utils.fileio import atomic_write
from dynaseg.utils.image_io import load_image

LEVELS = np.linspace(0.0, 1.0, 22)[1:-1]


def capture(args: argparse.Namespace) -> None:
    root = Path(args.data_root) / 'bsds500' / 'images' / args.split
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    model = build_segmentor(load_config())
    for path in sorted(root.glob('*.jpg'))[: args.images]:
        target = out / f'{path.stem}.npz'
        if target.exists():
            continue
        kept: list[torch.Tensor] = []
        labels, _ = model.segment(image_to_tensor(load_image(path), model), on_response=kept.append)
        response = kept[0][0].permute(1, 2, 0).numpy().astype(np.float16)
        with atomic_write(target, 'wb') as handle:
            np.savez(handle, labels=labels.astype(np.int32), response=response)
        print(path.stem, flush=True)


def parse_setting(text: str) -> dict:
    """``"tree='volume', unit_response=False"`` -> keyword arguments, literals only."""
    call = ast.parse(f'f({text})', mode='eval').body
    assert isinstance(call, ast.Call)
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}


def score(args: argparse.Namespace) -> None:
    gt_root = Path(args.data_root) / 'bsds500' / 'groundTruth' / args.split
    image_root = Path(args.data_root) / 'bsds500' / 'images' / args.split
    files = sorted(Path(args.captures).glob('*.npz'))[: args.images or None]
    for text in args.setting:
        builder = MergeHierarchy(**parse_setting(text))
        segs, gts = [], []
        for f in files:
            data = np.load(f)
            response = data['response'].astype(np.float32)
            if response.shape[:2] != data['labels'].shape:  # (C, H, W) captures
                response = response.transpose(1, 2, 0)
            tree = builder(data['labels'], load_image(image_root / f'{f.stem}.jpg'), response)
            segs.append([tree.cut_level(float(t)) + 1 for t in LEVELS])
            gts.append(load_bsds_ground_truth(gt_root / f'{f.stem}.mat'))
        r = region_benchmark(segs, gts)
        print(
            f'{text:50s} {len(files)} images: covering {r["covering_ods"]:.3f} / '
            f'{r["covering_ois"]:.3f}, PRI {r["pri_ods"]:.3f} / {r["pri_ois"]:.3f}, '
            f'VOI {r["voi_ods"]:.3f} / {r["voi_ois"]:.3f} (ODS / OIS)',
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    for name in ('capture', 'score'):
        one = sub.add_parser(name)
        one.add_argument('--split', default='val')
        one.add_argument('--data-root', default='data')
        one.add_argument('--images', type=int, default=20)
    sub.choices['capture'].add_argument('--out', required=True)
    sub.choices['capture'].add_argument('--threads', type=int, default=1)
    sub.choices['score'].add_argument('--captures', required=True)
    sub.choices['score'].add_argument('--setting', action='append', default=[])
    args = parser.parse_args()
    capture(args) if args.command == 'capture' else score(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
