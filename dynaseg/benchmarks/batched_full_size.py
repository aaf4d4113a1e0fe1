"""``tools/benchmark_batched.py --tool``: the tools' path on real images at full size.

What ``--batch-size`` does to DynaSeg-SCF on the fast schedule and to the authors' protocol, on
``--device cpu|cuda``, written as JSON with ``--out`` (rows already there are kept, so a rerun
continues where a time limit stopped it):

* ``fast``: DynaSeg-SCF on the fast schedule (``FAST_CONFIG``) over the BSDS500 test images
  (``--images``, 0 = all 200), one row per setting: batch size, precision (fp32 / tf32 / bf16),
  ``check_every`` (fewer host syncs), ``torch.compile``. Each row: images/s, peak GPU memory, and
  the agreement of its label maps with the unbatched fp32 run (mean best-match IoU and equal
  pixels). The noise floor is the unbatched fp32 run with NCHW instead of channels-last layout:
  equivalent arithmetic, as the A-vs-A thread-count floor of ``tools/benchmark.py``. A setting is
  *accepted* when its best-match agreement is at least the floor's; the fastest accepted one is
  ``recommended``, then timed over ``--headline-images`` (0 = all) as the headline images/s.
* ``faithful``: the authors' protocol (full size, no early stop) timed over ``--faithful-iters``
  iterations per image for the batch sizes and accepted precisions; image-runs/s extrapolates
  to 1000 iterations (the loop rarely stops before). The fastest is ``recommended_faithful``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dynaseg.reports.provenance import REPO_ROOT as REPO
from dynaseg.utils.fileio import save_text
from dynaseg.utils.image_io import load_image

FAST_CONFIG = 'configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500.py'
FAITHFUL_CONFIG = 'configs/dynaseg/dynaseg-scf_cnn-m2_faithful_bsds500.py'
#: The row every fast row is compared with, and the noise floor's row.
UNBATCHED, NOISE_FLOOR = 'b1-fp32', 'b1-fp32-nchw'


def synchronize(device: str) -> None:
    """Wait for the GPU's queued work, so that a timer read after it is honest."""
    if device == 'cuda':
        torch.cuda.synchronize()


def segment_all(model, tensors: list[torch.Tensor], batch: int) -> list[np.ndarray]:
    """Labels of every tensor, in order: one at a time (``batch`` 1), else same-size images
    in chunks of ``batch`` (a chunk of one goes alone)."""
    from dynaseg.engine import bucket_by_size

    if batch == 1:
        return [model.segment(x)[0] for x in tensors]
    labels: list[Any] = [None] * len(tensors)
    for group in bucket_by_size(tensors).values():
        for first in range(0, len(group), batch):
            chunk = group[first : first + batch]
            if len(chunk) == 1:
                labels[chunk[0]] = model.segment(tensors[chunk[0]])[0]
                continue
            results = model.segment_batch([tensors[i] for i in chunk])
            for i, (lab, _) in zip(chunk, results):
                labels[i] = lab
    return labels


def agreement(unbatched: list, labels: list) -> tuple[float, float]:
    """Mean best-match IoU and mean share of equal pixels of ``labels`` against ``unbatched``."""
    from dynaseg.evaluation.functional import kim_image_scores

    ious = [
        float(np.mean(kim_image_scores(a, [b], relabel=False))) for a, b in zip(unbatched, labels)
    ]
    pixels = [float((a == b).mean()) for a, b in zip(unbatched, labels)]
    return float(np.mean(ious)), float(np.mean(pixels))


@dataclass
class FullSizeBench:
    """The JSON being filled (``out``, its ``rows``), the time limit, and how one setting runs."""

    args: argparse.Namespace
    out: dict = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    @property
    def rows(self) -> dict:
        return self.out.setdefault('rows', {})

    def save(self) -> None:
        if self.args.out:
            save_text(self.args.out, json.dumps(self.out, indent=2))

    def out_of_time(self) -> bool:
        limit = self.args.time_limit
        return bool(limit) and time.monotonic() - self.started > limit

    def run(self, config: str, ids: list[Path], batch: int, **options) -> tuple[float, list, float]:
        """(seconds, labels in order of ids, peak GPU MB) of one setting over ``ids``."""
        from dynaseg.apis import build_segmentor, image_to_tensor, load_config

        device = self.args.device
        cfg = load_config(REPO / config, {**self.args.tool_options, **options})
        model = build_segmentor(cfg, device)
        tensors = [image_to_tensor(load_image(p), model) for p in ids]
        if device == 'cuda':
            torch.cuda.reset_peak_memory_stats()
        synchronize(device)
        start = time.perf_counter()
        labels = segment_all(model, tensors, batch)
        synchronize(device)
        seconds = time.perf_counter() - start
        peak = torch.cuda.max_memory_allocated() / 2**20 if device == 'cuda' else 0.0
        return seconds, labels, peak


def fast_settings(args: argparse.Namespace) -> list[tuple[str, int, dict]]:
    """(row name, batch size, config options) of the fast part, the unbatched row first."""
    settings = [(UNBATCHED, 1, {}), (NOISE_FLOOR, 1, {'model.channels_last': False})]
    settings += [(f'b{b}-fp32', b, {}) for b in args.tool_batch_sizes]
    top = max(args.tool_batch_sizes)
    settings += [
        (f'b{top}-{p}', top, {'model.precision': p}) for p in args.precisions if p != 'fp32'
    ]
    settings.append(
        (f'b{top}-check{args.check_every}', top, {'model.schedule.check_every': args.check_every})
    )
    if args.compile:
        settings.append((f'b{top}-compile', top, {'model.compile_extractor': True}))
    return settings


def time_fast_rows(bench: FullSizeBench, ids: list[Path]) -> None:
    """One row per fast setting not yet in the JSON (the unbatched run always reruns: every
    other row is compared with its labels)."""
    unbatched: list | None = None
    for name, batch, options in fast_settings(bench.args):
        key = f'fast/{name}'
        if key in bench.rows and name != UNBATCHED and bench.rows[key]['images'] == len(ids):
            continue
        if bench.out_of_time() and name != UNBATCHED:
            print(f'time limit: {key} not run', flush=True)
            continue
        seconds, labels, peak = bench.run(FAST_CONFIG, ids, batch, **options)
        if name == UNBATCHED:
            unbatched = labels
        assert unbatched is not None
        iou, pixels = agreement(unbatched, labels)
        bench.rows[key] = dict(
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
        bench.save()


def recommend(bench: FullSizeBench) -> bool:
    """Record the noise floor, the accepted rows and the fastest of them; False without a
    floor row."""
    rows = bench.rows
    floor = rows.get(f'fast/{NOISE_FLOOR}')
    if floor is None:
        return False
    bench.out['noise_floor'] = dict(
        what='unbatched fp32, NCHW instead of channels-last, against channels-last',
        agreement_iou=floor['agreement_iou'],
        agreement_pixels=floor['agreement_pixels'],
    )
    accepted = {
        k: r
        for k, r in rows.items()
        if k.startswith('fast/')
        and k != f'fast/{NOISE_FLOOR}'
        and r['agreement_iou'] >= floor['agreement_iou']
    }
    best = max(accepted, key=lambda k: accepted[k]['images_per_s'])
    bench.out['recommended'] = dict(
        row=best,
        batch_size=accepted[best]['batch_size'],
        options=accepted[best]['options'],
        rule='fastest row whose best-match agreement with unbatched fp32 is at least '
        'the noise floor',
    )
    bench.out['accepted_precisions'] = sorted(
        {r['options'].get('model.precision', 'fp32') for r in accepted.values()}
    )
    bench.save()
    return True


def time_headline(bench: FullSizeBench, paths: list[Path]) -> None:
    """The recommended setting over ``--headline-images`` (once: kept in the JSON)."""
    headline = paths if bench.args.headline_images <= 0 else paths[: bench.args.headline_images]
    if 'headline' in bench.out or bench.out_of_time():
        return
    rec = bench.out['recommended']
    seconds, _, peak = bench.run(FAST_CONFIG, headline, rec['batch_size'], **rec['options'])
    bench.out['headline'] = dict(
        config=FAST_CONFIG,
        row=rec['row'],
        images=len(headline),
        seconds=seconds,
        images_per_s=len(headline) / seconds,
        peak_gpu_mb=peak,
    )
    print(
        f'headline: {len(headline) / seconds:.2f} img/s over {len(headline)} images ({rec["row"]})',
        flush=True,
    )
    bench.save()


def part_faithful(bench: FullSizeBench, ids: list[Path]) -> None:
    """The authors' protocol per batch size and accepted precision, and the fastest row."""
    args, rows = bench.args, bench.rows
    n = args.faithful_iters
    faithful_ids = ids[: max(args.tool_batch_sizes)]
    for batch in [1, *args.tool_batch_sizes]:
        for precision in bench.out.get('accepted_precisions', ['fp32']):
            key = f'faithful/b{batch}-{precision}'
            if key in rows:
                continue
            if bench.out_of_time():
                print(f'time limit: {key} not run', flush=True)
                continue
            options = {
                'model.schedule.max_iters': n,
                'model.schedule.min_labels': 0,
                'model.precision': precision,
            }
            use = faithful_ids[:4] if batch == 1 else faithful_ids
            seconds, _, peak = bench.run(FAITHFUL_CONFIG, use, batch, **options)
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
            print(f'{key:<28}{runs_per_s:8.3f} image-runs/s (1000 it)  {peak:8.0f} MB', flush=True)
            bench.save()
    faithful = {k: r for k, r in rows.items() if k.startswith('faithful/')}
    if faithful:
        best = max(faithful, key=lambda k: faithful[k]['image_runs_per_s_at_1000'])
        bench.out['recommended_faithful'] = dict(
            row=best,
            batch_size=faithful[best]['batch_size'],
            precision=faithful[best]['precision'],
            minutes_for_600_image_runs=600 / faithful[best]['image_runs_per_s_at_1000'] / 60,
        )
        bench.save()


def full_size_benchmark(args: argparse.Namespace) -> None:
    """Real images at full size through ``DynaSeg.segment`` / ``segment_batch`` (see the doc)."""
    bench = FullSizeBench(args)
    if args.out and Path(args.out).is_file():
        bench.out = json.loads(Path(args.out).read_text())
    folder = Path(args.data_root) / 'images' / args.split
    paths = sorted(folder.glob('*.jpg'))
    if not paths:
        raise SystemExit(f'no BSDS500 images under {folder} (pass --data-root)')
    bench.out.update(
        device=args.device,
        torch=torch.__version__,
        gpu=torch.cuda.get_device_name() if args.device == 'cuda' else None,
        split=args.split,
        images_available=len(paths),
    )
    ids = paths[: args.images] if args.images > 0 else paths
    # Warm-up: CUDA context, cuDNN algorithm choice, registry imports.
    bench.run(FAST_CONFIG, ids[:2], 2, **{'model.schedule.max_iters': 3})
    print(f'[tool] {len(ids)} BSDS500 {args.split} images on {args.device}', flush=True)
    if 'fast' in args.parts:
        time_fast_rows(bench, ids)
        if recommend(bench):
            time_headline(bench, paths)
    if 'faithful' in args.parts:
        part_faithful(bench, ids)
    summary = {k: bench.out.get(k) for k in ('recommended', 'headline', 'recommended_faithful')}
    print(json.dumps(summary, indent=1))
