"""``tools/benchmark_batched.py``: batched per-image optimisation against one image at a time.

N small images (BSDS500 test images downscaled and centre-cropped to --size x --size, or
synthetic piecewise images when the data is absent) are each segmented by their own
seeded network for a fixed number of iterations (min_labels 0, no patience, so every
mode does the same work). Modes:

* ``one-at-a-time``: ``optimize_image`` per image (the engine's normal path);
* ``batch=B``: ``optimize_many`` with batch size B (B grouped models per forward).

Modes are interleaved within each repeat (the machine is shared and noisy); the table
gives the median images per minute over repeats, the speed-up over one-at-a-time, and
the pixel agreement of each batched mode's labels with the one-at-a-time labels.

Example:
    python tools/benchmark_batched.py --images 16 --size 64 --iters 50 --batch-sizes 1 4 8

``--tool``: the tools' path on real images at full size (what ``--batch-size`` does), on
``--device cpu|cuda``, written as JSON with ``--out``:

* ``fast``: the default config over the BSDS500 test images (``--images``, 0 = all 200),
  one row per setting: batch size, precision (fp32 / tf32 / bf16), ``check_every`` (fewer host
  syncs), ``torch.compile``. Each row: images/s, peak GPU memory, and the agreement of its label
  maps with the unbatched fp32 run (mean best-match IoU and equal pixels). The noise floor is the
  unbatched fp32 run with NCHW instead of channels-last layout: equivalent arithmetic, as the
  A-vs-A thread-count floor of ``tools/benchmark.py``. A setting is *accepted* when its
  best-match agreement is at least the floor's; the fastest accepted one is ``recommended``,
  then timed over ``--headline-images`` (0 = all) as the headline images/s.
* ``faithful``: the authors' protocol (full size, no early stop) timed over ``--faithful-iters``
  iterations per image for the batch sizes and accepted precisions; image-runs/s extrapolates
  to 1000 iterations (the loop rarely stops before). The fastest is ``recommended_faithful``.

Rows already in the JSON are kept (a rerun continues where a time limit stopped it):
    python tools/benchmark_batched.py --tool --device cuda --out docs/benchmarks/x.json
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from mmengine.config import DictAction
from PIL import Image

from dynaseg.engine import (
    DEFAULT_OPTIMIZER,
    EngineSettings,
    Schedule,
    optimize_image,
    optimize_many,
)
from dynaseg.engine.precision import PRECISIONS
from dynaseg.models.backbones import DynaSegCNN
from dynaseg.models.losses import DynaSegLoss
from dynaseg.testing import piecewise_image
from dynaseg.utils.fileio import save_text
from dynaseg.utils.image_io import load_image

from .provenance import REPO_ROOT as REPO
from .provenance import data_root

FAST_CONFIG = 'configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500.py'
FAITHFUL_CONFIG = 'configs/dynaseg/dynaseg-scf_cnn-m2_faithful_bsds500.py'
SGD = DEFAULT_OPTIMIZER


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        '--data-root',
        default=str(data_root() / 'bsds500'),
        help='BSDS500 root with images/test; synthetic images when it is missing (default: '
        'bsds500/ under $DYNASEG_DATA_ROOT, else under data/ in the repository)',
    )
    p.add_argument(
        '--synthetic', action='store_true', help='use synthetic images even if data exists'
    )
    # --images is the image count in every tool; --num-images is the old spelling.
    p.add_argument('--images', '--num-images', dest='num_images', type=int, default=16)
    p.add_argument('--size', type=int, default=64, help='square crop side in pixels')
    p.add_argument('--iters', type=int, default=50, help='iterations per image')
    p.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 4, 8])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument(
        '--threads', type=int, default=None, help='torch intra-op threads (default: as is)'
    )
    p.add_argument('--channels', type=int, default=100, help='p = q_max of DynaSegCNN')
    p.add_argument('--num-convs', type=int, default=2, help='M of DynaSegCNN')
    p.add_argument('--no-channels-last', action='store_true')
    p.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    p.add_argument('--tool', action='store_true', help='real images through the tools (see above)')
    p.add_argument('--parts', nargs='+', default=['fast', 'faithful'], choices=['fast', 'faithful'])
    p.add_argument('--split', default='test', help='BSDS500 split of --tool')
    p.add_argument(
        '--headline-images', type=int, default=0, help='images of the headline run (0: all)'
    )
    p.add_argument(
        '--tool-batch-sizes', type=int, nargs='+', default=[8, 32, 64], help='--tool batch sizes'
    )
    p.add_argument('--precisions', nargs='+', default=['fp32', 'tf32', 'bf16'], choices=PRECISIONS)
    p.add_argument('--check-every', type=int, default=10, help='the fewer-syncs setting')
    p.add_argument('--compile', action='store_true', help='also time torch.compile (inductor)')
    p.add_argument('--faithful-iters', type=int, default=50)
    p.add_argument('--time-limit', type=float, default=0, help='seconds; 0: none')
    p.add_argument('--out', help='JSON of --tool (rows already there are kept)')
    p.add_argument(
        '--tool-options',
        nargs='+',
        action=DictAction,
        default={},
        help='config overrides key=value for every --tool run (e.g. smaller networks in tests)',
    )
    return p.parse_args(argv)


def load_images(args: argparse.Namespace) -> tuple[list[torch.Tensor], str]:
    """N tensors (1, 3, size, size) in [0, 1] and a description of where they came from."""
    folder = Path(args.data_root) / 'images' / 'test'
    paths = sorted(folder.glob('*.jpg'))[: args.num_images] if folder.is_dir() else []
    arrays: list[np.ndarray] = []
    if paths and not args.synthetic:
        for path in paths:
            image = Image.fromarray(load_image(path))
            # Short side to `size`, then the central square: a small natural image.
            scale = args.size / min(image.size)
            width, height = (max(args.size, round(s * scale)) for s in image.size)
            image = image.resize((width, height), Image.Resampling.BILINEAR)
            left, top = (width - args.size) // 2, (height - args.size) // 2
            arrays.append(np.asarray(image.crop((left, top, left + args.size, top + args.size))))
        source = f'BSDS500 test ({folder}), first {len(arrays)} ids'
    # Top up (or replace) with synthetic images so there are always num_images.
    for seed in range(len(arrays), args.num_images):
        arrays.append(piecewise_image(args.size, args.size, seed=seed)[0])
    if not paths or args.synthetic:
        source = 'synthetic piecewise images'
    tensors = [torch.from_numpy(a.copy()).permute(2, 0, 1).float()[None] / 255.0 for a in arrays]
    return tensors, source


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.tool:
        tool_benchmark(args)
        return
    images, source = load_images(args)
    images = [image.to(args.device) for image in images]
    seeds = list(range(len(images)))
    settings = EngineSettings(
        schedule=Schedule(max_iters=args.iters, min_labels=0),
        channels_last=not args.no_channels_last,
    )
    loss_fn = DynaSegLoss(dict(type='SCFWeight'))

    def factory() -> DynaSegCNN:
        return DynaSegCNN(
            channels=args.channels, out_channels=args.channels, num_convs=args.num_convs
        )

    def one_at_a_time() -> list[np.ndarray]:
        return [
            optimize_image(image, factory, loss_fn, SGD, settings, seed=seed)[0]
            for image, seed in zip(images, seeds)
        ]

    def batched(batch_size: int):
        def run() -> list[np.ndarray]:
            return [
                labels
                for labels, _ in optimize_many(
                    images,
                    factory,
                    loss_fn,
                    SGD,
                    settings,
                    seeds,
                    batch_size=batch_size,
                )
            ]

        return run

    modes = {'one-at-a-time': one_at_a_time}
    modes.update({f'batch={b}': batched(b) for b in args.batch_sizes})
    # Warm-up: first calls pay for registry imports and oneDNN kernel selection.
    small = images[:1]
    warm_up = EngineSettings(schedule=Schedule(max_iters=2, min_labels=0))
    optimize_image(small[0], factory, loss_fn, SGD, warm_up)
    optimize_many(small * 2, factory, loss_fn, SGD, warm_up, [0, 1])

    seconds: dict[str, list[float]] = {name: [] for name in modes}
    labels: dict[str, list[np.ndarray]] = {}
    names = list(modes)
    for repeat in range(args.repeats):
        # Rotate the order so no mode always runs first (or right after the slowest).
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            start = time.perf_counter()
            labels[name] = modes[name]()
            seconds[name].append(time.perf_counter() - start)

    print(
        f'images: {len(images)} x {args.size}x{args.size} ({source}); '
        f'{args.iters} iterations each, DynaSegCNN M={args.num_convs} p=q={args.channels}, SGD; '
        f'threads={torch.get_num_threads()}; '
        f'channels_last={settings.channels_last}; medians of {args.repeats} interleaved repeats'
    )
    reference = labels['one-at-a-time']
    base = statistics.median(seconds['one-at-a-time'])
    print(
        f'{"mode":<15}{"median s":>10}{"images/min":>12}{"speed-up":>10}{"pixel agree":>13}'
        f'{"all runs (s)":>28}'
    )
    for name in names:
        median = statistics.median(seconds[name])
        agree = np.mean([(a == b).mean() for a, b in zip(labels[name], reference)])
        runs = ' '.join(f'{s:.1f}' for s in seconds[name])
        print(
            f'{name:<15}{median:>10.2f}{len(images) * 60 / median:>12.1f}{base / median:>9.2f}x'
            f'{agree:>13.4f}{runs:>28}'
        )


# ----------------------------------------------------------------------------- --tool


def synchronize(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def tool_benchmark(args: argparse.Namespace) -> None:
    """Real images at full size through ``DynaSeg.segment`` / ``segment_batch`` (see the doc)."""
    import json

    from dynaseg.apis import build_segmentor, image_to_tensor, load_config
    from dynaseg.engine import bucket_by_size

    started = time.monotonic()
    out: dict = {}
    if args.out and Path(args.out).is_file():
        out = json.loads(Path(args.out).read_text())
    folder = Path(args.data_root) / 'images' / args.split
    paths = sorted(folder.glob('*.jpg'))
    if not paths:
        raise SystemExit(f'no BSDS500 images under {folder} (pass --data-root)')
    out.update(
        device=args.device,
        torch=torch.__version__,
        gpu=torch.cuda.get_device_name() if args.device == 'cuda' else None,
        split=args.split,
        images_available=len(paths),
    )
    rows: dict = out.setdefault('rows', {})

    def save() -> None:
        if args.out:
            save_text(args.out, json.dumps(out, indent=2))

    def out_of_time() -> bool:
        return bool(args.time_limit) and time.monotonic() - started > args.time_limit

    def run(config: str, ids: list[Path], batch: int, **options) -> tuple[float, list, float]:
        """(seconds, labels in order of ids, peak GPU MB) of one setting over ``ids``."""
        cfg = load_config(REPO / config, {**args.tool_options, **options})
        model = build_segmentor(cfg, args.device)
        rgbs = [load_image(p) for p in ids]
        tensors = [image_to_tensor(rgb, model) for rgb in rgbs]
        labels: list = [None] * len(ids)
        if args.device == 'cuda':
            torch.cuda.reset_peak_memory_stats()
        synchronize(args.device)
        start = time.perf_counter()
        if batch == 1:
            for i, x in enumerate(tensors):
                labels[i] = model.segment(x)[0]
        else:
            for group in bucket_by_size(tensors).values():
                for first in range(0, len(group), batch):
                    chunk = group[first : first + batch]
                    if len(chunk) == 1:
                        labels[chunk[0]] = model.segment(tensors[chunk[0]])[0]
                        continue
                    results = model.segment_batch([tensors[i] for i in chunk])
                    for i, (lab, _) in zip(chunk, results):
                        labels[i] = lab
        synchronize(args.device)
        seconds = time.perf_counter() - start
        peak = torch.cuda.max_memory_allocated() / 2**20 if args.device == 'cuda' else 0.0
        return seconds, labels, peak

    def agreement(reference: list, labels: list) -> tuple[float, float]:
        from dynaseg.evaluation.functional import kim_image_scores

        ious = [
            float(np.mean(kim_image_scores(a, [b], relabel=False)))
            for a, b in zip(reference, labels)
        ]
        pixels = [float((a == b).mean()) for a, b in zip(reference, labels)]
        return float(np.mean(ious)), float(np.mean(pixels))

    ids = paths[: args.num_images] if args.num_images > 0 else paths
    # Warm-up: CUDA context, cuDNN algorithm choice, registry imports.
    run(FAST_CONFIG, ids[:2], 2, **{'model.schedule.max_iters': 3})
    print(f'[tool] {len(ids)} BSDS500 {args.split} images on {args.device}', flush=True)
    reference: list | None = None
    if 'fast' in args.parts:
        settings = [('b1-fp32', 1, {}), ('b1-fp32-nchw', 1, {'model.channels_last': False})]
        settings += [(f'b{b}-fp32', b, {}) for b in args.tool_batch_sizes]
        top = max(args.tool_batch_sizes)
        settings += [
            (f'b{top}-{p}', top, {'model.precision': p}) for p in args.precisions if p != 'fp32'
        ]
        settings.append(
            (
                f'b{top}-check{args.check_every}',
                top,
                {'model.schedule.check_every': args.check_every},
            )
        )
        if args.compile:
            settings.append((f'b{top}-compile', top, {'model.compile_extractor': True}))
        labels_of: dict[str, list] = {}
        for name, batch, options in settings:
            key = f'fast/{name}'
            # The reference labels are needed for every comparison: rerun them if not kept.
            if key in rows and name != 'b1-fp32' and rows[key]['images'] == len(ids):
                continue
            if out_of_time() and name != 'b1-fp32':
                print(f'time limit: {key} not run', flush=True)
                continue
            seconds, labels, peak = run(FAST_CONFIG, ids, batch, **options)
            labels_of[name] = labels
            if name == 'b1-fp32':
                reference = labels
            assert reference is not None
            iou, pixels = agreement(reference, labels)
            rows[key] = dict(
                batch_size=batch,
                options=options,
                images=len(ids),
                seconds=seconds,
                images_per_s=len(ids) / seconds,
                peak_gpu_mb=peak,
                agreement_iou=iou,
                agreement_pixels=pixels,
            )
            print(
                f'{key:<28}{len(ids) / seconds:8.2f} img/s  {peak:8.0f} MB  '
                f'IoU {iou:.4f} pixels {pixels:.4f}',
                flush=True,
            )
            save()
        floor = rows.get('fast/b1-fp32-nchw')
        if floor is not None:
            out['noise_floor'] = dict(
                what='unbatched fp32, NCHW instead of channels-last, against channels-last',
                agreement_iou=floor['agreement_iou'],
                agreement_pixels=floor['agreement_pixels'],
            )
            accepted = {
                k: r
                for k, r in rows.items()
                if k.startswith('fast/')
                and k != 'fast/b1-fp32-nchw'
                and r['agreement_iou'] >= floor['agreement_iou']
            }
            best = max(accepted, key=lambda k: accepted[k]['images_per_s'])
            out['recommended'] = dict(
                row=best,
                batch_size=accepted[best]['batch_size'],
                options=accepted[best]['options'],
                rule='fastest row whose best-match agreement with unbatched fp32 is at least '
                'the noise floor',
            )
            out['accepted_precisions'] = sorted(
                {r['options'].get('model.precision', 'fp32') for r in accepted.values()}
            )
            save()
            headline = paths if args.headline_images <= 0 else paths[: args.headline_images]
            if 'headline' not in out and not out_of_time():
                rec = out['recommended']
                seconds, _, peak = run(FAST_CONFIG, headline, rec['batch_size'], **rec['options'])
                out['headline'] = dict(
                    config=FAST_CONFIG,
                    row=rec['row'],
                    images=len(headline),
                    seconds=seconds,
                    images_per_s=len(headline) / seconds,
                    peak_gpu_mb=peak,
                )
                print(
                    f'headline: {len(headline) / seconds:.2f} img/s over {len(headline)} '
                    f'images ({rec["row"]})',
                    flush=True,
                )
                save()
    if 'faithful' in args.parts:
        precisions = out.get('accepted_precisions', ['fp32'])
        n = args.faithful_iters
        faithful_ids = ids[: max(args.tool_batch_sizes)]
        for batch in [1, *args.tool_batch_sizes]:
            for precision in precisions:
                key = f'faithful/b{batch}-{precision}'
                if key in rows:
                    continue
                if out_of_time():
                    print(f'time limit: {key} not run', flush=True)
                    continue
                faithful_options = {
                    'model.schedule.max_iters': n,
                    'model.schedule.min_labels': 0,
                    'model.precision': precision,
                }
                use = faithful_ids[:4] if batch == 1 else faithful_ids
                seconds, _, peak = run(FAITHFUL_CONFIG, use, batch, **faithful_options)
                runs_per_s = len(use) * n / 1000 / seconds
                rows[key] = dict(
                    batch_size=batch,
                    precision=precision,
                    images=len(use),
                    iterations=n,
                    seconds=seconds,
                    image_runs_per_s_at_1000=runs_per_s,
                    peak_gpu_mb=peak,
                )
                print(
                    f'{key:<28}{runs_per_s:8.3f} image-runs/s (1000 it)  {peak:8.0f} MB', flush=True
                )
                save()
        faithful = {k: r for k, r in rows.items() if k.startswith('faithful/')}
        if faithful:
            best = max(faithful, key=lambda k: faithful[k]['image_runs_per_s_at_1000'])
            out['recommended_faithful'] = dict(
                row=best,
                batch_size=faithful[best]['batch_size'],
                precision=faithful[best]['precision'],
                minutes_for_600_image_runs=600 / faithful[best]['image_runs_per_s_at_1000'] / 60,
            )
            save()
    print(
        json.dumps(
            {k: out.get(k) for k in ('recommended', 'headline', 'recommended_faithful')}, indent=1
        )
    )
