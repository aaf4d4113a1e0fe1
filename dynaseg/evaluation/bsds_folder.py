"""The whole BSDS500 benchmark over a folder: per-image records, in parallel, saved as JSON.

This is the library side of ``dynaseg-miou --bsds-bench`` (:func:`dynaseg.cli.miou.main`).
Predictions are paired with BSDS500 ground-truth ``<id>.mat`` files by image id; each image is
scored by :mod:`.functional.bsds_records` in its own process, and its record is written to
``<bench-out>/<id>.json`` as soon as it is done, so an interrupted run resumes where it stopped
and a report regenerates from the records alone (:func:`load_records`,
:func:`.functional.bsds_records.summarise`).

Prediction files (``--bsds-input auto`` tells them by suffix and content):

- ``<id>.mat`` / ``<id>.npz`` holding ``ucm2`` (a hierarchy) or ``segs`` (a segmentation
  set), or ``<id>.npy`` (2-D: ``ucm2``; 3-D: ``segs``);
- ``<id>.png`` / ``<id>.csv``: one label map (``label-map``), or with ``--bsds-input
  boundary-map`` an 8-bit soft boundary map.
It never imports torch.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from dynaseg.utils.fileio import ensure_writable_dir, save_json, save_text
from dynaseg.utils.labels import relabel_connected_components, resize_nearest

from .functional.bsds_records import (
    INPUT_KINDS,
    PARTS,
    bsds_text_files,
    evaluate_boundary_map,
    evaluate_label_map,
    evaluate_segmentation_set,
    evaluate_ucm2,
)
from .functional.io import (
    LabelMapError,
    load_boundary_map,
    load_bsds_boundaries,
    load_bsds_ground_truth,
    load_hierarchy_or_set,
    read_label_map,
)
from .functional.ucm import DEFAULT_NUM_THRESHOLDS, check_ucm2
from .kim_folder import FolderPairs, check_folders, match_files, prediction_files

_ARRAY_SUFFIXES = ('.mat', '.npz', '.npy')
_IMAGE_SUFFIXES = ('.png', '.csv')
SUMMARY_FILE = 'summary.json'


@dataclass(frozen=True)
class BenchSettings:
    """How a folder is scored; every record carries these, and a resumed run must match them.

    Attributes:
        kind: one of :data:`INPUT_KINDS`.
        thresholds: thresholds of a ``ucm2`` or boundary map (the benchmark's 99 by default);
            a segmentation set has one per map, a label map one.
        parts: ``'boundary'``, ``'region'`` or both.
        connectivity: 8 or 4: the regions of a ``ucm2`` cut (the benchmark's ``bwlabel``
            uses 8) and how a label map's disconnected parts are split.
        relabel: split each label map's disconnected parts into separate regions.
        resize: nearest-neighbour resize a label map to its ground truth's size.
        max_dist: boundary matching distance, a fraction of the image diagonal.
        thin: thin machine boundaries before matching, as the benchmark does.
    """

    kind: str = 'auto'
    thresholds: int = DEFAULT_NUM_THRESHOLDS
    parts: tuple[str, ...] = PARTS
    connectivity: int = 8
    relabel: bool = True
    resize: bool = False
    max_dist: float = 0.0075
    thin: bool = True

    def __post_init__(self) -> None:
        if self.kind not in INPUT_KINDS:
            raise ValueError(f'input kind must be one of {INPUT_KINDS}, got {self.kind!r}')
        if not self.parts or any(p not in PARTS for p in self.parts):
            raise ValueError(f'parts must be a non-empty subset of {PARTS}, got {self.parts!r}')
        if self.kind == 'boundary-map' and 'region' in self.parts:
            raise ValueError('a boundary map has no regions: score it with the boundary part only')
        if self.connectivity not in (4, 8):
            raise ValueError(f'connectivity must be 4 or 8, got {self.connectivity!r}')


def pair_bench_folders(
    results_dir: str | os.PathLike, ground_truth_dir: str | os.PathLike, kind: str = 'auto'
) -> FolderPairs:
    """Pair benchmark inputs in ``results_dir`` with ``<id>.mat`` ground truth by image id."""
    results_dir, ground_truth_dir = Path(results_dir), Path(ground_truth_dir)
    check_folders(results_dir, ground_truth_dir)
    suffixes = {
        'auto': _ARRAY_SUFFIXES + _IMAGE_SUFFIXES,
        'ucm2': _ARRAY_SUFFIXES,
        'segs': _ARRAY_SUFFIXES,
        'label-map': _IMAGE_SUFFIXES,
        'boundary-map': ('.png',),
    }[kind]
    gts: dict[str, Path | list[Path]] = {p.stem: p for p in sorted(ground_truth_dir.glob('*.mat'))}
    return match_files(prediction_files(results_dir, suffixes), gts)


def _label_map_for_bench(path: Path, shape: tuple[int, int], settings: BenchSettings) -> np.ndarray:
    seg = read_label_map(path)
    if seg.shape != shape:
        if not settings.resize:
            raise LabelMapError(
                f'{path}: prediction size {seg.shape} differs from ground truth {shape} '
                '(pass --resize-images to resize predictions)'
            )
        seg = resize_nearest(seg, shape)
    if settings.relabel:
        seg = relabel_connected_components(seg, connectivity=1 if settings.connectivity == 4 else 2)
    # Every label is a region; the benchmark's regions are 1..max (0 would be unlabelled).
    return np.asarray(seg, np.int64) - int(seg.min()) + 1


def score_image(
    image_id: str, pred_path: Path, gt_path: Path, settings: BenchSettings
) -> dict[str, Any]:
    """One image's record (see :mod:`.functional.bsds_records`), with its ``bench`` settings,
    the wall-clock ``seconds`` it took and its ``cpu_seconds`` (the process's CPU time, which
    other work on the machine does not inflate).

    Raises:
        LabelMapError: an unreadable or ill-sized file, in one line naming it.
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    gt_segs = load_bsds_ground_truth(gt_path) if 'region' in settings.parts else None
    gt_bdry = load_bsds_boundaries(gt_path) if 'boundary' in settings.parts else None
    rows, cols = (gt_segs or gt_bdry or [np.zeros((0, 0))])[0].shape
    shape = (rows, cols)
    common: dict[str, Any] = {
        'max_dist': settings.max_dist,
        'thin': settings.thin,
        'image': image_id,
    }
    try:
        if settings.kind == 'boundary-map':
            strength = load_boundary_map(pred_path)
            record = evaluate_boundary_map(strength, gt_bdry or [], settings.thresholds, **common)
        elif pred_path.suffix.lower() in _IMAGE_SUFFIXES:
            seg = _label_map_for_bench(pred_path, shape, settings)
            record = evaluate_label_map(seg, gt_segs, gt_bdry, parts=settings.parts, **common)
        else:
            kind, value = load_hierarchy_or_set(pred_path)
            if settings.kind in ('ucm2', 'segs') and kind != settings.kind:
                raise LabelMapError(f'{pred_path}: holds {kind}, not {settings.kind}')
            if kind == 'ucm2':
                record = evaluate_ucm2(
                    check_ucm2(cast(np.ndarray, value), shape),
                    gt_segs,
                    gt_bdry,
                    settings.thresholds,
                    connectivity=settings.connectivity,
                    parts=settings.parts,
                    **common,
                )
            else:
                record = evaluate_segmentation_set(
                    cast(list[np.ndarray], value), gt_segs, gt_bdry, parts=settings.parts, **common
                )
    except ValueError as err:
        if isinstance(err, LabelMapError):
            raise
        raise LabelMapError(f'{pred_path}: {err}') from err
    record['bench'] = _settings_json(settings)
    record['seconds'] = round(time.perf_counter() - start, 3)
    record['cpu_seconds'] = round(time.process_time() - cpu_start, 3)
    return record


def _settings_json(settings: BenchSettings) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(settings)))


def load_records(bench_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """The per-image records saved in ``bench_dir``, sorted by image id (the benchmark's order)."""
    paths = sorted(p for p in Path(bench_dir).glob('*.json') if p.name != SUMMARY_FILE)
    return [json.loads(p.read_text(encoding='utf-8')) for p in paths]


def _saved_record(path: Path, settings: dict[str, Any]) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    record = json.loads(path.read_text(encoding='utf-8'))
    if record.get('bench') != settings:
        raise ValueError(
            f'{path} was scored with other settings ({record.get("bench")}); '
            'write to another --bench-out folder or delete it'
        )
    return record


def benchmark_pairs(
    pairs: Sequence[tuple[str, Path, Path | list[Path]]],
    settings: BenchSettings,
    *,
    workers: int = 1,
    bench_dir: str | os.PathLike | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Score every pair, ``workers`` images at a time, saving each record as it is done.

    Args:
        pairs: (image id, prediction file, ``<id>.mat`` ground truth) from
            :func:`pair_bench_folders`.
        settings: how to score them.
        workers: processes scoring images side by side (1: in this process).
        bench_dir: folder for ``<id>.json`` records; records already there with the same
            settings are reused, not scored again.
        on_record: called with each new record (progress).

    Returns:
        The records in image-id order.

    Raises:
        ValueError: a saved record made with other settings, or ``workers`` < 1.
        LabelMapError: an image could not be scored (the records done so far are saved).
        UnwritableDirectoryError: ``bench_dir`` cannot be created or written.
    """
    if workers < 1:
        raise ValueError(f'workers must be >= 1, got {workers}')
    out = ensure_writable_dir(bench_dir) if bench_dir is not None else None
    settings_json = _settings_json(settings)
    records: dict[str, dict[str, Any]] = {}
    todo = []
    for image_id, pred_path, gt_path in pairs:
        saved = _saved_record(out / f'{image_id}.json', settings_json) if out else None
        if saved is not None:
            records[image_id] = saved
        else:
            todo.append((image_id, pred_path, gt_path))

    def keep(record: dict[str, Any]) -> None:
        records[record['image']] = record
        if out is not None:
            # One line per record: 200 images x 99 thresholds stay about 2 MB to commit.
            save_text(out / f'{record["image"]}.json', json.dumps(record, separators=(',', ':')))
        if on_record is not None:
            on_record(record)

    if workers == 1 or len(todo) < 2:
        for image_id, pred_path, gt_path in todo:
            keep(score_image(image_id, pred_path, cast(Path, gt_path), settings))
    else:
        # Spawned, not forked: a fork would copy a caller's threads (torch, BLAS) mid-state.
        spawn = multiprocessing.get_context('spawn')
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=spawn) as pool:
            futures = [pool.submit(score_image, i, p, cast(Path, g), settings) for i, p, g in todo]
            try:
                for future in as_completed(futures):
                    keep(future.result())
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    return [records[i] for i, _, _ in sorted(pairs, key=lambda pair: pair[0])]


def save_summary(bench_dir: str | os.PathLike, summary: dict[str, Any]) -> None:
    """Write ``summary.json`` and the benchmark's ``eval_*.txt`` files into ``bench_dir``."""
    out = Path(bench_dir)
    save_json(out / SUMMARY_FILE, summary)
    for name, text in bsds_text_files(summary).items():
        save_text(out / name, text)


def format_summary(summary: dict[str, Any]) -> str:
    """A Markdown table of the ODS / OIS / AP numbers of :func:`.bsds_records.summarise`."""
    settings = summary['settings']
    lines = [
        f'BSDS500 benchmark: {summary["num_images"]} images, input {summary["input"]}, '
        f'{summary["num_thresholds"]} thresholds'
        + (f', regions {settings["connectivity"]}-connected' if 'connectivity' in settings else '')
        + (
            f', boundary matching within {settings["max_dist"]:g} of the diagonal'
            + (', thinned' if settings['thin'] else '')
            if 'boundary' in summary
            else ''
        ),
        '',
        '| metric | ODS | ODS threshold | OIS | AP / best |',
        '|---|---|---|---|---|',
    ]
    bdry = summary.get('boundary')
    if bdry is not None:
        ods, ois = bdry['ods'], bdry['ois']
        lines.append(
            f'| boundary F (R / P) | {ods["f"]:.4f} ({ods["recall"]:.4f} / '
            f'{ods["precision"]:.4f}) | {ods["threshold"]:.4g} | {ois["f"]:.4f} '
            f'({ois["recall"]:.4f} / {ois["precision"]:.4f}) | AP {bdry["ap"]:.4f} |'
        )
    if 'covering' in summary:
        cover = summary['covering']
        lines.append(
            f'| covering | {cover["ods"]["value"]:.4f} | {cover["ods"]["threshold"]:.4g} | '
            f'{cover["ois"]:.4f} | best {cover["best"]:.4f} |'
        )
        for name in ('pri', 'voi'):
            metric = summary[name]
            lines.append(
                f'| {name.upper()} | {metric["ods"]["value"]:.4f} | '
                f'{metric["ods"]["threshold"]:.4g} | {metric["ois"]:.4f} | |'
            )
    return '\n'.join(lines)
