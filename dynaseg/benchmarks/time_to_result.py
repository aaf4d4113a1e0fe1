"""Time to result: configs end to end on the same pictures (image file decoded, segmented,
labels on the host), interleaved per picture, scored with Kim's pooled mIoU in three modes, and
each time also counted in iterations of the authors' loop probed on that picture."""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path

import numpy as np

from dynaseg.apis import build_segmentor, image_to_tensor, load_config
from dynaseg.engine import OptimizationRecord
from dynaseg.engine.allocator import keep_freed_memory
from dynaseg.evaluation.functional import (
    BSDS_MODES,
    kim_image_scores,
    load_bsds_ground_truth,
    pooled_miou,
)
from dynaseg.reports.provenance import REPO_ROOT as REPO
from dynaseg.reports.provenance import repo_relative
from dynaseg.utils.image_io import load_image, save_downscaled
from dynaseg.utils.labels import resize_nearest

from .loops import load_tensor, plain_iteration_seconds

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


def part_time_to_result(args, root: Path) -> dict:
    """B and the --modes configs on the same images, interleaved per image (so a change in the
    machine's load hits them alike), without A: what a user waits for each config. Each
    picture's time is also given in iterations of the plain loop, probed on that picture right
    before the configs run."""
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
