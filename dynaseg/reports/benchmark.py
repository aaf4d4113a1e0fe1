"""``tools/benchmark.py``: DynaSeg's engine (B) against a plain mirror of the authors' loop (A).

Parts, each printed as a table (and all saved with --out):

* ``per-iter``: the same work — M=2, 100 channels, the first image at ``--per-iter-scale``,
  SGD — timed per iteration,
  A and B interleaved, medians over repeats; ratio B/A. A' (A's loop with the engine's malloc
  setting) separates what B saves in page faults (A's system time) from what it saves in
  compute (user time).
* ``whole``: time to a finished image. A = the authors' settings (1000 iterations or q <= 3,
  run at ``--scale`` to stay affordable); B = the project's default fast config. Both are
  scored with Kim's best-match mIoU (mode 1) against BSDS500 ground truth at full resolution.
  A's label maps are cached in ``--cache`` so B variants can be rescored without rerunning A.
  Beside B, the ``--modes`` configs (default: the warm start and the one pass) run
  on the same images with the same threads; a second table gives each of them and B the time
  to result end to end (image file decoded, segmented, labels on the host; model built once
  before) and Kim's pooled mIoU in the three modes (all / fine / coarse).
* ``memory``: peak resident memory of B on a 321x481 image and on a 12-megapixel photo,
  each in a fresh subprocess (and peak GPU memory with ``--device cuda``).
* ``agreement``: A's and B's label maps for the same seed after ``--agreement-iters``
  iterations, next to A against itself on one thread (the floating-point noise floor).
* ``reference-cache``: only compute and store A's whole-image runs (resumable).
* ``time-to-result``: the whole part's second table alone (B and the ``--modes`` configs,
  interleaved per image, no A): e.g. the default against the authors' settings, a warm start
  or the classical baselines. Each picture's time is also counted in iterations of the plain
  loop (A, ``--probe-iters`` of them timed on that picture just before), the unit of the speed
  target; ``--picture-pixels N`` times copies scaled down to at most N pixels.
* ``configs``: parameters and time per iteration of every config's extractor.

Example (the numbers in the README; docs/benchmarks/ holds its JSON):
    python tools/benchmark.py --parts per-iter agreement whole memory \
        --per-iter-iters 10 --repeats 3 --threads 2 --out work_dirs/benchmark_final.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from dynaseg.apis import DEFAULT_CONFIG as DEFAULT_CONFIG_PATH
from dynaseg.apis import build_segmentor, image_to_tensor, load_config
from dynaseg.apis.dataset_runner import dataset_folder
from dynaseg.cli import add_data_root, add_flag
from dynaseg.engine import (
    DEFAULT_OPTIMIZER,
    EngineSettings,
    OptimizationRecord,
    Schedule,
    optimize_image,
)
from dynaseg.engine.allocator import keep_freed_memory, restore_default_malloc
from dynaseg.engine.baseline_loop import reference_optimize
from dynaseg.evaluation.functional import (
    BSDS_MODES,
    kim_image_scores,
    load_bsds_ground_truth,
    pooled_miou,
)
from dynaseg.models.backbones import DynaSegCNN
from dynaseg.models.losses import DynaSegLoss, SCFWeight
from dynaseg.utils.fileio import save_text
from dynaseg.utils.image_io import load_image, save_downscaled
from dynaseg.utils.labels import resize_nearest
from dynaseg.utils.profiling import median

from .provenance import REPO_ROOT as REPO
from .provenance import data_root, repo_relative

# B: the tools' default config, as a path inside the repository (wherever dynaseg is imported from).
DEFAULT_CONFIG = DEFAULT_CONFIG_PATH.relative_to(DEFAULT_CONFIG_PATH.parents[2]).as_posix()


# Ten BSDS500 test images, the first ten ids in sorted order (no selection on results).
DEFAULT_IMAGES = [
    '100007',
    '100039',
    '100099',
    '10081',
    '101027',
    '101084',
    '102062',
    '103006',
    '103029',
    '103078',
]
SGD = DEFAULT_OPTIMIZER
#: Timed beside B in the whole part: warm-started per-image optimisation and one
#: forward pass per image, both from the network trained once over BSDS500 train.
MODE_CONFIGS = (
    'configs/dynaseg/dynaseg-fsf_cnn-m2_warm-start_bsds500.py',
    'configs/dynaseg/dynaseg-fsf_cnn-m2_one-pass_bsds500.py',
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    add_data_root(p)
    # A list of ids is --image-ids in every tool (--images is a count there).
    add_flag(p, 'image-ids', nargs='+', default=DEFAULT_IMAGES, help='BSDS500 test ids')
    p.add_argument(
        '--parts',
        nargs='+',
        default=['per-iter', 'whole', 'memory'],
        choices=[
            'per-iter',
            'whole',
            'time-to-result',
            'memory',
            'agreement',
            'reference-cache',
            'configs',
        ],
        help='reference-cache: only compute and store A for the whole part; time-to-result: '
        "the whole part's second table alone (B and --modes, no A)",
    )
    p.add_argument(
        '--config',
        default=str(REPO / DEFAULT_CONFIG),
        help=f'config of B in the whole-image part (default: {DEFAULT_CONFIG})',
    )
    p.add_argument(
        '--modes',
        nargs='*',
        default=[str(REPO / c) for c in MODE_CONFIGS],
        help='configs timed beside B in the whole part, end to end on the same images and '
        'threads (default: the warm start and the one pass; none: B only)',
    )
    p.add_argument('--scale', type=float, default=0.5, help="A's resolution in the whole part")
    add_flag(
        p,
        'picture-pixels',
        type=int,
        default=None,
        metavar='N',
        help='time-to-result: time copies of the test images scaled down to at most N pixels '
        '(scored against the full-size ground truth); default: the images as they are',
    )
    add_flag(
        p,
        'probe-iters',
        type=int,
        default=3,
        metavar='N',
        help='time-to-result: iterations of the plain loop timed on each picture, the unit of '
        "the 'plain it.' column (default 3)",
    )
    p.add_argument('--max-iters', type=int, default=1000, help="A's iteration budget")
    p.add_argument('--per-iter-iters', type=int, default=10, help='iterations per timed run')
    p.add_argument(
        '--per-iter-scale',
        type=float,
        default=1.0,
        help='image size in the per-iter part, relative to the first image (321x481 for 100007)',
    )
    p.add_argument(
        '--agreement-iters',
        type=int,
        nargs='+',
        default=[10, 30, 100],
        help='iteration counts at which A and B (same seed) are compared',
    )
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--threads', type=int, default=torch.get_num_threads())
    p.add_argument('--device', default='cpu', choices=('cpu', 'cuda'), help='every part runs there')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--cache', default=str(REPO / 'work_dirs' / 'benchmark_cache'))
    p.add_argument('--out', default=None, help='write all results as JSON here')
    return p.parse_args(argv)


def load_tensor(path: Path, scale: float, device: str) -> torch.Tensor:
    image = load_image(path)
    if scale != 1.0:
        import cv2

        h, w = image.shape[:2]
        image = cv2.resize(
            image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
        )
    return torch.from_numpy(image).permute(2, 0, 1).float()[None].to(device) / 255.0


_SCF = SCFWeight()


def scf_weight(q: int) -> float:
    """The authors' weight (SCF, mu / q) as the reference loop calls it: a float of q."""
    return float(_SCF(q))


def run_reference(x: torch.Tensor, iters: int, seed: int, min_labels: int = 3):
    restore_default_malloc()  # A runs as the authors' script does, with glibc's defaults
    return reference_optimize(
        x, DynaSegCNN, scf_weight, max_iters=iters, min_labels=min_labels, seed=seed
    )


def run_reference_kept_memory(x: torch.Tensor, iters: int, seed: int, min_labels: int = 3):
    """A's loop with the engine's allocator setting: separates memory from compute savings."""
    keep_freed_memory()
    return reference_optimize(
        x, DynaSegCNN, scf_weight, max_iters=iters, min_labels=min_labels, seed=seed
    )


def run_engine_faithful(x: torch.Tensor, iters: int, seed: int, min_labels: int = 3):
    keep_freed_memory()
    return optimize_image(
        x,
        DynaSegCNN,
        DynaSegLoss(dict(type='SCFWeight')),
        SGD,
        EngineSettings(schedule=Schedule(max_iters=iters, min_labels=min_labels)),
        seed=seed,
    )


PER_ITER_LOOPS = (
    ('A', 'reference (authors)', run_reference),
    ("A'", 'reference, freed memory kept', run_reference_kept_memory),
    ('B', 'engine (same work)', run_engine_faithful),
)


def cpu_seconds() -> tuple[float, float]:
    """(user, system) CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def part_per_iter(args, image_path: Path) -> dict:
    x = load_tensor(image_path, args.per_iter_scale, args.device)
    n = args.per_iter_iters
    wall: dict[str, list[float]] = {key: [] for key, _, _ in PER_ITER_LOOPS}
    cpu: dict[str, list[tuple[float, float]]] = {key: [] for key, _, _ in PER_ITER_LOOPS}
    for _ in range(args.repeats):
        for key, _, run in PER_ITER_LOOPS:  # interleaved: drift in machine load hits all
            before = cpu_seconds()
            # min_labels=0: every loop does exactly n iterations of the same work.
            _, record = run(x, n, args.seed, min_labels=0)
            after = cpu_seconds()
            wall[key].append(record.seconds / n)
            cpu[key].append(((after[0] - before[0]) / n, (after[1] - before[1]) / n))
    print(
        f'\n[per-iter] {image_path.stem} {tuple(x.shape[-2:])}, M=2, 100 channels, {n} iterations '
        f'x {args.repeats} repeats, {args.threads} threads (user/sys: CPU seconds per iteration, '
        'all threads)'
    )
    print(
        f'{"loop":<36}{"s/iter (median)":>16}{"user":>8}{"sys":>8}{"A / loop":>10}{"all runs":>26}'
    )
    reference = median(wall['A'])
    out: dict = dict(image=image_path.stem, size=list(x.shape[-2:]), iterations=n)
    for key, name, _ in PER_ITER_LOOPS:
        seconds = median(wall[key])
        user = median([u for u, _ in cpu[key]])
        system = median([s for _, s in cpu[key]])
        runs = str([round(t, 3) for t in wall[key]])
        print(
            f'{key + " " + name:<36}{seconds:>16.4f}{user:>8.2f}{system:>8.2f}'
            f'{reference / seconds:>9.2f}x{runs:>26}'
        )
        out[key] = dict(s_per_iter=seconds, user_s=user, sys_s=system, runs=wall[key])
    out['ratio'] = median(wall['B']) / reference
    print(f'ratio B/A = {out["ratio"]:.3f}  (speed-up {1 / out["ratio"]:.2f}x)')
    return out


def best_match_agreement(x: np.ndarray, y: np.ndarray) -> float:
    """Mean best-match IoU of y's segments against x (1.0 = same partition)."""
    return float(np.mean(kim_image_scores(x, [y], relabel=False)))


def part_agreement(args, image_path: Path) -> dict:
    """A vs B with the same seed, and A vs A with one thread (the floating-point noise floor),
    after each of ``--agreement-iters`` iterations (every count is a run from the same init)."""
    x = load_tensor(image_path, args.scale, args.device)
    threads = torch.get_num_threads()
    rows = []
    print(
        f'\n[agreement] {image_path.stem} at scale {args.scale}, same seed; best-match IoU '
        f'(pixels equal) of B and of A with 1 thread against A with {threads}'
    )
    print(f'{"iterations":>10}{"A vs B":>22}{"A vs A, 1 thread":>24}')
    for n in args.agreement_iters:
        la, _ = run_reference(x, n, args.seed, min_labels=0)
        lb, _ = run_engine_faithful(x, n, args.seed, min_labels=0)
        torch.set_num_threads(1)
        la1, _ = run_reference(x, n, args.seed, min_labels=0)
        torch.set_num_threads(threads)
        row = dict(
            iterations=n,
            a_vs_b=best_match_agreement(la, lb),
            a_vs_a_1thread=best_match_agreement(la, la1),
            pixels_equal_a_b=float((la == lb).mean()),
            pixels_equal_a_a1=float((la == la1).mean()),
        )
        rows.append(row)
        print(
            f'{n:>10}{row["a_vs_b"]:>13.4f} ({row["pixels_equal_a_b"]:.3f})'
            f'{row["a_vs_a_1thread"]:>15.4f} ({row["pixels_equal_a_a1"]:.3f})',
            flush=True,
        )
    return dict(image=image_path.stem, scale=args.scale, rows=rows)


def fill_reference_cache(args, path: Path, cached: Path) -> None:
    """Run A on one image and store its labels and timings.

    A's labels come from the reference loop with the allocator kept warm: the same code and
    arithmetic, about twice as fast, which keeps 10 x 1000 iterations affordable here. A's
    reported time is its iteration count times the per-iteration time of the untouched loop
    (glibc defaults), probed on the same image right before B runs.
    """
    x = load_tensor(path, args.scale, args.device)
    _, probe = run_reference(x, args.per_iter_iters, args.seed, min_labels=0)
    keep_freed_memory()
    labels, rec = reference_optimize(
        x, DynaSegCNN, scf_weight, max_iters=args.max_iters, min_labels=3, seed=args.seed
    )
    np.savez_compressed(
        cached,
        labels=labels,
        iterations=rec.iterations,
        num_labels=rec.num_labels,
        label_counts=np.array(rec.label_counts),
        s_per_iter_untuned=probe.seconds / args.per_iter_iters,
        seconds_tuned=rec.seconds,
    )


def reference_cache_dir(args) -> Path:
    cache = Path(args.cache) / f'A_scale{args.scale}_iters{args.max_iters}_seed{args.seed}'
    cache.mkdir(parents=True, exist_ok=True)
    return cache


#: Kim's modes: 1 all annotations, 2 the finest, 3 the coarsest.
MODES = BSDS_MODES
#: What the time-to-result table averages over images.
TIMED = ('seconds', 'segment_seconds', 'iterations', 'labels')


def segment_end_to_end(
    model, path: Path, device: str
) -> tuple[np.ndarray, OptimizationRecord, float]:
    """Labels, record and wall seconds of one image, from its file to labels on the host."""
    start = time.perf_counter()
    rgb = load_image(path)
    labels, record = model.segment(image_to_tensor(rgb, model).to(device))
    return labels, record, time.perf_counter() - start


def time_to_result_summary(config: str, rows: list[dict], scores: dict[int, list]) -> dict:
    """One config's row of the time-to-result table: means over images, pooled mIoU per mode."""
    pooled = {name: pooled_miou(scores[mode])['mIoU'] for mode, name in MODES.items()}
    keys = [*TIMED, *(['plain_iterations'] if rows and 'plain_iterations' in rows[0] else [])]
    mean = {key: float(np.mean([r[key] for r in rows])) for key in keys}
    return dict(config=config, **mean, miou=pooled, rows=rows)


Timed = dict[str, tuple[list[dict], dict[int, list]]]


def timed_models(args) -> tuple[dict, Timed]:
    """B and the --modes configs, built once (their checkpoint paths are relative to the
    repository), and per config an empty list of per-image rows and per-mode Kim scores."""
    with contextlib.chdir(REPO):
        models = {
            repo_relative(c): build_segmentor(load_config(c), args.device)
            for c in [args.config, *args.modes]
        }
    return models, {name: ([], {mode: [] for mode in MODES}) for name in models}


def time_image(models: dict, timed: Timed, image_id: str, path: Path, gts, args):
    """Segment one image end to end with B, then every other config, and append its row and
    scores to ``timed``; returns B's (labels, record, wall)."""
    model = models[repo_relative(args.config)]
    b = segment_end_to_end(model, path, args.device)
    for name, other in models.items():
        labels, rec, wall = b if other is model else segment_end_to_end(other, path, args.device)
        per_image, scores = timed[name]
        per_image.append(
            dict(
                image=image_id,
                seconds=wall,
                segment_seconds=rec.seconds,
                iterations=rec.iterations,
                labels=int(len(np.unique(labels))),
            )
        )
        full = resize_nearest(labels, gts[0].shape) if labels.shape != gts[0].shape else labels
        for mode in MODES:
            scores[mode].append(kim_image_scores(full, gts, mode=mode))
    return b


def print_time_to_result(timed: Timed, args, images: int) -> list[dict]:
    """The time-to-result table of every timed config; returns its rows."""
    time_to_result = [time_to_result_summary(name, *timed[name]) for name in timed]
    print(
        f'\n[time to result] end to end (image file -> labels; same {images} images, '
        f'{args.threads} thread(s), {args.device}); mean over images, pooled mIoU per mode'
    )
    # 'plain it.': the time in iterations of the plain loop on the same pictures (the target's
    # unit), where the part probed it.
    probed = bool(time_to_result) and 'plain_iterations' in time_to_result[0]
    print(
        f'{"config":<58}{"s/image":>8}{"segment":>8}{"iters":>7}{"labels":>7}'
        f'{"all":>8}{"fine":>8}{"coarse":>8}' + (f'{"plain it.":>10}' if probed else '')
    )
    for entry in time_to_result:
        print(
            f'{Path(entry["config"]).stem:<58}{entry["seconds"]:>8.2f}'
            f'{entry["segment_seconds"]:>8.2f}{entry["iterations"]:>7.0f}{entry["labels"]:>7.1f}'
            + ''.join(f'{entry["miou"][name]:>8.4f}' for name in MODES.values())
            + (f'{entry["plain_iterations"]:>10.2f}' if probed else '')
        )
    return time_to_result


def pictures(args, root: Path, folder: Path) -> dict[str, Path]:
    """The test images timed, by id: the files themselves, or with ``--picture-pixels N`` PNG
    copies in ``folder`` scaled down (area interpolation) to at most N pixels, written before
    any timing so that decoding a file stays part of the time to result."""
    paths = {i: root / 'images' / 'test' / f'{i}.jpg' for i in args.image_ids}
    if not args.picture_pixels:
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    for image_id, path in paths.items():
        paths[image_id] = folder / f'{image_id}.png'
        save_downscaled(path, paths[image_id], args.picture_pixels)
    return paths


def plain_iteration_seconds(x: torch.Tensor, args) -> float:
    """Seconds of one iteration of the plain mirror of the authors' loop (A: M=2, 100 channels,
    glibc's allocator) on the picture ``x`` (1, 3, H, W) at its size: the unit of the
    time-to-result target.

    Its steady state: a run of one iteration is subtracted from a run of 1 + ``probe_iters``,
    so building the network and first touching its buffers are not counted (they would make
    the unit larger and every config look faster in it)."""
    _, first = run_reference(x, 1, args.seed, min_labels=0)
    _, record = run_reference(x, 1 + args.probe_iters, args.seed, min_labels=0)
    return max(record.seconds - first.seconds, 1e-9) / args.probe_iters


def part_time_to_result(args, root: Path) -> dict:
    """B and the --modes configs on the same images, interleaved per image (so a change in the
    machine's load hits them alike), without A: what a user waits for each config. Each
    picture's time is also given in iterations of the plain loop, probed on that picture right
    before the configs run."""
    import tempfile

    models, timed = timed_models(args)
    probes, sizes = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for image_id, path in pictures(args, root, Path(folder)).items():
            gts = load_bsds_ground_truth(root / 'groundTruth' / 'test' / f'{image_id}.mat')
            x = load_tensor(path, 1.0, args.device)  # (1, 3, H, W), for the probe
            sizes[image_id] = list(x.shape[-2:])
            probes[image_id] = plain_iteration_seconds(x, args)
            keep_freed_memory()
            time_image(models, timed, image_id, path, gts, args)
            print(f'[time to result] {image_id} done', flush=True)
    for per_image, _ in timed.values():
        for row in per_image:
            row['size'] = sizes[row['image']]
            row['plain_s_per_iter'] = probes[row['image']]
            row['plain_iterations'] = row['seconds'] / probes[row['image']]
    return dict(
        config=repo_relative(args.config),
        picture_pixels=args.picture_pixels,
        probe_iters=args.probe_iters,
        rows=print_time_to_result(timed, args, len(args.image_ids)),
    )


def part_whole(args, root: Path) -> dict:
    models, timed = timed_models(args)
    cache = reference_cache_dir(args)
    rows, scores_a, scores_b = [], [], []
    print(
        f"\n[whole] A: authors' loop at scale {args.scale}, <= {args.max_iters} iterations, "
        f'stop at 3 labels (time = iterations x untouched s/iter); B: {Path(args.config).name}; '
        'mIoU mode 1 at full resolution'
    )
    print(
        f'{"image":<8}{"A s":>9}{"A iters":>8}{"A q":>5}{"A mIoU":>8}{"B s":>8}{"B iters":>8}'
        f'{"B q":>5}{"B mIoU":>8}{"A/B":>7}'
    )
    for image_id in args.image_ids:
        gts = load_bsds_ground_truth(root / 'groundTruth' / 'test' / f'{image_id}.mat')
        path = root / 'images' / 'test' / f'{image_id}.jpg'
        cached = cache / f'{image_id}.npz'
        if not cached.exists():
            fill_reference_cache(args, path, cached)
        data = np.load(cached)
        labels_a, a_iters, a_q = data['labels'], int(data['iterations']), int(data['num_labels'])
        # A's time is probed again here, right before B, so both see the same machine load.
        x_a = load_tensor(path, args.scale, args.device)
        _, probe = run_reference(x_a, args.per_iter_iters, args.seed, min_labels=0)
        a_seconds = probe.seconds / args.per_iter_iters * a_iters
        keep_freed_memory()
        labels_b, rec_b, _ = time_image(models, timed, image_id, path, gts, args)
        full = gts[0].shape
        sa = kim_image_scores(resize_nearest(labels_a, full), gts, mode=1)
        sb = timed[repo_relative(args.config)][1][1][-1]  # B's mode-1 scores of this image
        scores_a.append(sa)
        scores_b.append(sb)
        row = dict(
            image=image_id,
            a_seconds=a_seconds,
            a_iterations=a_iters,
            a_labels=a_q,
            a_miou=float(sa.mean()),
            b_seconds=rec_b.seconds,
            b_iterations=rec_b.iterations,
            b_labels=int(len(np.unique(labels_b))),
            b_miou=float(sb.mean()),
        )
        rows.append(row)
        print(
            f'{image_id:<8}{a_seconds:>9.1f}{a_iters:>8}{a_q:>5}{row["a_miou"]:>8.3f}'
            f'{rec_b.seconds:>8.1f}{rec_b.iterations:>8}{row["b_labels"]:>5}{row["b_miou"]:>8.3f}'
            f'{a_seconds / rec_b.seconds:>7.1f}',
            flush=True,
        )
    pooled_a, pooled_b = pooled_miou(scores_a), pooled_miou(scores_b)
    total_a = sum(r['a_seconds'] for r in rows)
    total_b = sum(r['b_seconds'] for r in rows)
    print(
        f'{"total":<8}{total_a:>9.1f}{"":>13}{pooled_a["mIoU"]:>8.4f}{total_b:>8.1f}{"":>13}'
        f'{pooled_b["mIoU"]:>8.4f}{total_a / total_b:>7.1f}'
    )
    print(
        f'pooled mIoU (mode 1) A = {pooled_a["mIoU"]:.4f}, B = {pooled_b["mIoU"]:.4f}, '
        f'B - A = {pooled_b["mIoU"] - pooled_a["mIoU"]:+.4f}; time A/B = {total_a / total_b:.1f}x'
    )
    time_to_result = print_time_to_result(timed, args, len(rows))
    return dict(
        rows=rows,
        pooled_a=pooled_a,
        pooled_b=pooled_b,
        total_a_seconds=total_a,
        total_b_seconds=total_b,
        speedup=total_a / total_b,
        config=repo_relative(args.config),
        time_to_result=time_to_result,
    )


MEMORY_CHILD = """
import numpy as np, torch
from dynaseg.apis import segment_image
from dynaseg.utils.profiling import peak_rss_bytes
torch.set_num_threads({threads})
h, w = {h}, {w}
rng = np.random.default_rng(0)
small = rng.integers(0, 255, (max(h // 64, 2), max(w // 64, 2), 3)).astype(np.float32)
import cv2
image = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.uint8)
device = {device!r}
result = segment_image(image, {config!r}, device=device, **{{'model.schedule.max_iters': {iters}}})
assert result.labels.shape == (h, w)
gpu = torch.cuda.max_memory_allocated() if device.startswith('cuda') else 0
print('PEAK_RSS_BYTES', peak_rss_bytes(), result.record.seconds, gpu)
"""


def part_memory(args) -> dict:
    results = {}
    print(
        f'\n[memory] B (default config) on {args.device}, fresh subprocess per size, '
        'peak resident memory (and peak GPU memory allocated by torch)'
    )
    for name, (h, w) in {'321x481': (321, 481), '12MP (3000x4000)': (3000, 4000)}.items():
        code = MEMORY_CHILD.format(
            threads=args.threads, h=h, w=w, config=args.config, iters=60, device=args.device
        )
        out = subprocess.run(
            [sys.executable, '-c', code],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ),
        )
        line = next(x for x in out.stdout.splitlines() if x.startswith('PEAK_RSS_BYTES'))
        _, rss, seconds, gpu = line.split()
        mb, gpu_mb = int(rss) / 2**20, int(gpu) / 2**20
        results[name] = dict(peak_rss_mb=mb, peak_gpu_mb=gpu_mb, seconds=float(seconds))
        on_gpu = f', GPU {gpu_mb:6.0f} MB' if args.device.startswith('cuda') else ''
        print(
            f'  {name:<18} peak RSS {mb:8.0f} MB{on_gpu} ({float(seconds):.1f} s, '
            '<= 60 coarse iterations)'
        )
    return results


def part_configs(args, image_path: Path) -> dict:
    """Parameter count and time of one iteration at the image's size, for every config.

    Configs that share an extractor share one measurement (the weighting does not change
    the cost of an iteration).
    """
    from dynaseg.models.backbones import count_parameters

    x = load_tensor(image_path, 1.0, args.device)
    n = args.per_iter_iters
    measured: dict[str, tuple[int, float]] = {}
    results = {}
    print(
        f'\n[configs] one iteration on {image_path.stem} {tuple(x.shape[-2:])}, median of '
        f'{args.repeats} runs of {n} iterations, {args.threads} threads'
    )
    print(f'{"config":<52}{"params":>10}{"s/iter":>9}')
    for path in sorted((REPO / 'configs').rglob('*.py')):
        if '_base_' in path.parts:
            continue
        model = build_segmentor(load_config(path), args.device)
        key = json.dumps(model.backbone_cfg, sort_keys=True, default=str)
        if key not in measured:
            times = []
            for _ in range(args.repeats):
                _, rec = optimize_image(
                    x,
                    model.build_extractor,
                    model.loss_fn,
                    model.optimizer_cfg,
                    EngineSettings(schedule=Schedule(max_iters=n, min_labels=0)),
                    seed=args.seed,
                )
                times.append(rec.seconds / n)
            measured[key] = (count_parameters(model.build_extractor()), median(times))
        params, seconds = measured[key]
        results[path.stem] = dict(params=params, s_per_iter=seconds)
        print(f'{path.stem:<52}{params:>10,}{seconds:>9.3f}', flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    root = dataset_folder(args.data_root or data_root(), 'bsds500')
    if not (root / 'images' / 'test').is_dir():
        sys.exit(
            f'BSDS500 not found under {root} (expected images/test/ and groundTruth/test/); '
            'pass --data-root, or set DYNASEG_DATA_ROOT to the folder holding bsds500/'
        )
    results: dict = dict(
        threads=args.threads,
        device=args.device,
        torch=torch.__version__,
        started=time.strftime('%Y-%m-%d %H:%M:%S'),
    )
    first = root / 'images' / 'test' / f'{args.image_ids[0]}.jpg'
    if 'per-iter' in args.parts:
        results['per_iter'] = part_per_iter(args, first)
    if 'configs' in args.parts:
        results['configs'] = part_configs(args, first)
    if 'agreement' in args.parts:
        results['agreement'] = part_agreement(args, first)
    if 'reference-cache' in args.parts:
        for image_id in args.image_ids:
            cache = reference_cache_dir(args)
            target = cache / f'{image_id}.npz'
            if not target.exists():
                fill_reference_cache(args, root / 'images' / 'test' / f'{image_id}.jpg', target)
                print(f'A cached for {image_id}', flush=True)
    if 'whole' in args.parts:
        results['whole'] = part_whole(args, root)
    if 'time-to-result' in args.parts:
        results['time_to_result'] = part_time_to_result(args, root)
    if 'memory' in args.parts:
        results['memory'] = part_memory(args)
    if args.out:
        save_text(args.out, json.dumps(results, indent=2))
        print(f'\nresults written to {args.out}')
