"""Segment every image of a config's dataset, then score the predictions with its evaluators.

This is the config-driven counterpart of :func:`~dynaseg.apis.folder.segment_folder`: the images
come from ``cfg.dataset`` (BSDS500, VOC2012, COCO-Stuff-27, ...) and the scores from
``cfg.evaluator``. Outputs under ``work_dir``::

    preds/<img_id>.png            single-channel label map (written last: the "done" marker)
    preds/records/<img_id>.json   the optimisation record (iterations, labels, seconds, config)
    failed/<img_id>.json          why the image failed (removed once it succeeds)
    eval_results.json             all metrics, counts, failures, NaN images, config, seed
    eval_results.pkl              one dict of per-image scores per scored image

The records sit under ``preds/`` because :func:`~dynaseg.apis.folder.segment_file` (reused here
so both runners write the same files) puts them in ``records/`` beside its label maps.

Unlike the authors' COCO evaluation, nothing is chosen with the ground truth: every image has
exactly one final prediction; an image that fails (to segment or to score) is listed with its
reason and turns the exit code non-zero, and an image whose per-image score is NaN is reported
by id and count rather than dropped silently.
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
from mmengine.config import Config, DictAction

from dynaseg.datasets import ListedImageDataset
from dynaseg.evaluation.functional import per_image_scores, read_label_map
from dynaseg.utils import register_all_modules
from dynaseg.utils.dist import LAUNCHERS, finalize_distributed, init_distributed, shard
from dynaseg.utils.fileio import (
    UnwritableDirectoryError,
    atomic_write,
    ensure_writable_dir,
    save_json,
)

from .folder import (
    ImageOutcome,
    RunInterrupted,
    config_name,
    gather,
    interrupt_on_sigterm,
    one_line,
    segment_file,
)
from .inference import build_segmentor, load_config

if TYPE_CHECKING:
    from dynaseg.models.segmentors.dynaseg import DynaSeg

__all__ = [
    'DatasetLayout',
    'EvaluationOutput',
    'apply_data_root',
    'build_dataset',
    'evaluate_predictions',
    'format_results',
    'run_dataset',
    'runner_main',
]

RESULTS_JSON = 'eval_results.json'
RESULTS_PKL = 'eval_results.pkl'


@dataclass(frozen=True)
class DatasetLayout:
    """Where the outputs of one image id go inside a work dir."""

    root: Path

    @property
    def preds(self) -> Path:
        return self.root / 'preds'

    def pred(self, img_id: str) -> Path:
        return self.preds / f'{img_id}.png'

    def record(self, img_id: str) -> Path:
        return self.preds / 'records' / f'{img_id}.json'

    def failure(self, img_id: str) -> Path:
        return self.root / 'failed' / f'{img_id}.json'

    def create(self) -> None:
        """Create the folders (proving each writable) before any work starts."""
        for folder in (self.root, self.preds, self.preds / 'records', self.root / 'failed'):
            ensure_writable_dir(folder)


def apply_data_root(cfg: Config, data_root: str | None) -> Config:
    """Point ``cfg.data_root`` and ``cfg.dataset.data_root`` at ``data_root`` (None: no change).

    The dataset configs copy ``data_root`` into ``dataset`` when the file is parsed, so setting
    the top-level key alone would not move the dataset.
    """
    if data_root is not None:
        cfg.merge_from_dict({'data_root': str(data_root), 'dataset.data_root': str(data_root)})
    return cfg


def build_dataset(cfg: Config) -> ListedImageDataset:
    """Build ``cfg.dataset``; its missing-image warning is left to the caller's report."""
    register_all_modules()
    from dynaseg.registry import DATASETS

    with warnings.catch_warnings():
        # The runner prints listed / missing / present counts itself, on rank 0 only.
        warnings.filterwarnings('ignore', message='.*listed images are missing')
        return DATASETS.build(cfg.dataset)


def _normalised(obj: Any) -> Any:
    """A JSON round trip, so a config compares equal to its copy read back from a record."""
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


# ----------------------------------------------------------------------------- segmentation


def _segment_shard(
    infos: Sequence[dict],
    model: DynaSeg,
    layout: DatasetLayout,
    record_extra: dict,
    rank: int,
    log: Callable[[str], None],
) -> list[ImageOutcome]:
    """Segment this rank's images; a failing image is recorded and the run goes on."""
    outcomes = []
    for k, info in enumerate(infos, 1):
        img_id = info['img_id']
        try:
            outcome = segment_file(
                info['img_path'],
                img_id,
                model,
                layout.preds,
                visualize=False,
                record_extra=dict(record_extra, img_id=img_id, rank=rank),
            )
            layout.failure(img_id).unlink(missing_ok=True)  # an earlier failure is now stale
            log(
                f'[rank {rank}] {k}/{len(infos)} {img_id}: {outcome.num_labels} labels, '
                f'{outcome.iterations} iterations, {outcome.seconds:.1f} s'
            )
        except Exception as err:  # one image's failure never stops the others
            outcome = ImageOutcome(
                image=info['img_path'], stem=img_id, status='failed', reason=one_line(err)
            )
            save_json(
                layout.failure(img_id),
                {
                    'img_id': img_id,
                    'image': info['img_path'],
                    'reason': outcome.reason,
                    'rank': rank,
                },
            )
            # Under --overwrite an older prediction may exist: drop it, so the image is
            # neither scored with it nor skipped as done by the next run.
            layout.pred(img_id).unlink(missing_ok=True)
            log(f'[rank {rank}] {k}/{len(infos)} {img_id}: FAILED: {outcome.reason}')
        outcome.rank = rank
        outcomes.append(outcome)
    return outcomes


# ----------------------------------------------------------------------------- evaluation


@dataclass
class EvaluationOutput:
    """Scores of the predictions present: aggregate metrics, per-image rows, failures, NaNs."""

    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    per_image: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    nan_images: dict[str, dict[str, Any]] = field(default_factory=dict)


def _image_scores(metric: Any, result: Any) -> dict[str, float] | None:
    """One image's own scores from a metric's per-image ``result`` (None: the metric has none).

    COCO-Stuff gets per-image numbers under protocol (b) only: under (a) and (c) an image's
    share of the summed counts is not a score of that image.
    """
    from dynaseg.evaluation.metrics import BSDSRegionMetric, CocoStuffMetric, KimSegmentMIoU

    if isinstance(metric, CocoStuffMetric):
        if metric.protocol != 'per_image':
            return None
        scores = per_image_scores([result])
        return {k: scores[k] for k in ('mIoU', 'thing_mIoU', 'stuff_mIoU', 'pixel_accuracy')}
    if isinstance(metric, KimSegmentMIoU):
        segments = np.asarray(result, np.float64)
        return {
            'mIoU': float(segments.mean()) if segments.size else math.nan,
            'num_segments': int(segments.size),
        }
    if isinstance(metric, BSDSRegionMetric):
        covering = result['cnt_r'] / result['sum_r'] if result['sum_r'] else math.nan
        return {
            'PRI': float(result['pri']),
            'VOI': float(result['voi']),
            'covering': float(covering),
        }
    return None


def _add_image_scores(metric: Any, rows: list[dict[str, Any]]) -> list[str] | None:
    """Add ``<prefix>/<score>`` entries to each image's row; returns the ids whose headline
    score (the first one, mIoU or PRI) is NaN, or None if the metric has no per-image scores."""
    nan_ids = []
    for row, result in zip(rows, metric.results, strict=True):
        scores = _image_scores(metric, result)
        if scores is None:
            return None
        row.update({f'{metric.prefix}/{k}': v for k, v in scores.items()})
        if math.isnan(next(iter(scores.values()))):
            nan_ids.append(row['img_id'])
    return nan_ids


def _build_metrics(cfg: Config) -> list[Any]:
    register_all_modules()
    from dynaseg.registry import METRICS

    configs = cfg.evaluator if isinstance(cfg.evaluator, (list, tuple)) else [cfg.evaluator]
    metrics = [METRICS.build(c) for c in configs]
    prefixes = [m.prefix for m in metrics]
    if len(set(prefixes)) != len(prefixes):
        raise ValueError(f'evaluator metrics need distinct prefixes, got {prefixes}')
    return metrics


def _stale_reason(layout: DatasetLayout, img_id: str, model_config: Any) -> str | None:
    """Why a prediction must not be scored with this config, or None if it may."""
    record = layout.record(img_id)
    if not record.is_file():
        return f'prediction has no record {record} (rerun with --overwrite)'
    saved = json.loads(record.read_text(encoding='utf-8')).get('model_config')
    if _normalised(saved) != model_config:
        return 'prediction was made with a different model config (rerun with --overwrite)'
    return None


def evaluate_predictions(
    cfg: Config,
    infos: Sequence[dict],
    layout: DatasetLayout,
) -> EvaluationOutput:
    """Score every image of ``infos`` whose prediction exists with the metrics of ``cfg.evaluator``.

    Each image goes through every metric or through none: if one metric raises on it (bad
    ground truth, size mismatch, ...), the results the others appended for it are removed and
    the image is listed in ``failures`` with a one-line reason.
    """
    metrics = _build_metrics(cfg)
    model_config = _normalised(cfg.model.to_dict())
    out = EvaluationOutput()
    scored: list[dict] = []
    for info in infos:
        img_id = info['img_id']
        if not layout.pred(img_id).is_file():
            continue
        lengths = [len(m.results) for m in metrics]
        try:
            stale = _stale_reason(layout, img_id, model_config)
            if stale:
                raise ValueError(stale)
            sample = {
                'pred_sem_seg': {'data': read_label_map(layout.pred(img_id))},
                'gt_path': info.get('gt_path'),
                'img_path': info['img_path'],
            }
            for metric in metrics:
                metric.process(None, [sample])
        except Exception as err:  # reported per image, never swallowed: see the docstring
            for metric, n in zip(metrics, lengths):
                del metric.results[n:]
            out.failures.append({'img_id': img_id, 'stage': 'evaluate', 'reason': one_line(err)})
            continue
        scored.append(info)

    out.per_image = [{'img_id': info['img_id'], 'img_path': info['img_path']} for info in scored]
    if not scored:
        return out
    for metric in metrics:
        out.metrics[metric.prefix] = dict(metric.compute_metrics(metric.results))
        nan_ids = _add_image_scores(metric, out.per_image)
        if nan_ids is not None:
            # The aggregate already leaves these images out (no scorable pixel or segment);
            # naming them keeps that visible.
            out.nan_images[metric.prefix] = {'count': len(nan_ids), 'img_ids': nan_ids}
    return out


# ----------------------------------------------------------------------------- reporting


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return 'NaN' if math.isnan(value) else f'{value:.4f}'
    return str(value)


def format_results(results: dict[str, Any]) -> str:
    """The printed summary: counts, then one ``metric | value`` row per score, then problems."""
    counts = results['counts']
    lines = [
        f'{results["config"]} (seed {results["seed"]}): {counts["scored"]} images scored '
        f'of {counts["listed"]} listed ({counts["missing"]} missing, {counts["present"]} '
        f'present, {counts["failed"]} failed, {counts["not_segmented"]} not segmented)'
    ]
    rows = [
        (f'{prefix}/{key}', _format_value(value))
        for prefix, scores in results['metrics'].items()
        for key, value in scores.items()
    ]
    if rows:
        width = max(len(name) for name, _ in rows)
        lines.append(f'{"metric":<{width}} | value')
        lines.append(f'{"-" * width}-+-------')
        lines += [f'{name:<{width}} | {value}' for name, value in rows]
    for prefix, nan in results['nan_images'].items():
        if nan['count']:
            lines.append(
                f'{prefix}: {nan["count"]} image(s) with a NaN per-image score, excluded '
                f'from its mean: {", ".join(nan["img_ids"][:20])}'
            )
    if results['failed']:
        lines.append('Failed images:')
        lines += [f'  {f["img_id"]} ({f["stage"]}): {f["reason"]}' for f in results['failed']]
    return '\n'.join(lines)


def _save_results(
    layout: DatasetLayout, results: dict[str, Any], per_image: list[dict[str, Any]]
) -> None:
    save_json(layout.root / RESULTS_JSON, results)
    with atomic_write(layout.root / RESULTS_PKL, 'wb') as handle:
        pickle.dump(per_image, handle)


# ----------------------------------------------------------------------------- the run


def run_dataset(
    cfg: Config,
    work_dir: str | Path,
    *,
    device: str = 'cpu',
    launcher: str = 'none',
    overwrite: bool = False,
    limit: int | None = None,
    data_root: str | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Segment the images of ``cfg.dataset`` into ``work_dir`` and evaluate them (see module doc).

    Under a launcher every process calls this: the images still to do are split between ranks
    (each exactly once), each rank writes its own files, and rank 0 scores all predictions
    present after every rank has finished; every rank returns rank 0's results.

    Args:
        cfg: a config with ``model``, ``dataset`` and ``evaluator``.
        work_dir: output folder (created).
        device: ``'cpu'`` or ``'cuda'``.
        launcher: ``'none'``, ``'pytorch'`` (torchrun) or ``'slurm'``.
        overwrite: redo images whose prediction exists (default: resume, skipping them).
        limit: segment only the first ``limit`` present images (all predictions present are
            scored either way; 0 scores without segmenting).
        data_root: replaces the config's data root (``--data-root``).
        log: where progress lines go (default ``print``).

    Returns:
        What ``eval_results.json`` holds, plus ``exit_code`` (1 if any image failed).
    """
    log = log or (lambda message: print(message, flush=True))
    start = time.monotonic()
    dist = init_distributed(launcher, device)
    apply_data_root(cfg, data_root)
    layout = DatasetLayout(Path(work_dir))
    dataset = build_dataset(cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    scope = infos if limit is None else infos[: max(limit, 0)]
    layout.create()
    todo = [i for i in scope if overwrite or not layout.pred(i['img_id']).is_file()]
    if dist.is_main:
        log(
            f'{type(dataset).__name__} at {dataset.data_root}: {len(dataset.listed_ids)} listed, '
            f'{len(dataset.missing_ids)} missing, {len(infos)} present; {len(scope)} in scope, '
            f'{len(scope) - len(todo)} already segmented, {len(todo)} to segment '
            f'on {dist.world_size} process(es)'
        )
    if dist.world_size > 1:
        # Every rank must list the predictions before any rank writes one, or ranks would
        # shard different lists and an image could be done twice or never.
        from mmengine.dist import barrier

        barrier()
    model = cast('DynaSeg', build_segmentor(cfg, device))
    extra = {'config': config_name(cfg), 'device': device, 'model_config': cfg.model.to_dict()}
    mine = _segment_shard(
        shard(todo, dist.rank, dist.world_size), model, layout, extra, dist.rank, log
    )
    outcomes = gather(mine, dist.world_size)  # also waits until every rank has written

    results: dict[str, Any] | None = None
    if dist.is_main:
        results = _evaluate_and_save(
            cfg, dataset, infos, outcomes, layout, device, dist.world_size, start
        )
        log(format_results(results))
    if dist.world_size > 1:
        from mmengine.dist import broadcast_object_list

        holder = [results]
        broadcast_object_list(holder, src=0)
        results = holder[0]
    assert results is not None
    return results


def _evaluate_and_save(
    cfg: Config,
    dataset: ListedImageDataset,
    infos: list[dict],
    outcomes: list[ImageOutcome],
    layout: DatasetLayout,
    device: str,
    world_size: int,
    start: float,
) -> dict[str, Any]:
    evaluation = evaluate_predictions(cfg, infos, layout)
    failed = [
        {'img_id': o.stem, 'stage': 'segment', 'reason': o.reason}
        for o in outcomes
        if o.status == 'failed'
    ] + evaluation.failures
    failed_ids = {f['img_id'] for f in failed}
    not_segmented = [
        i['img_id']
        for i in infos
        if not layout.pred(i['img_id']).is_file() and i['img_id'] not in failed_ids
    ]
    results: dict[str, Any] = {
        'config': config_name(cfg),
        'config_file': getattr(cfg, 'filename', None),
        'seed': int(cfg.model.get('seed', 0)),
        'dataset': {
            'type': type(dataset).__name__,
            'data_root': str(dataset.data_root),
            'split': getattr(dataset, 'split', None),
        },
        'counts': {
            'listed': len(dataset.listed_ids),
            'missing': len(dataset.missing_ids),
            'present': len(infos),
            'scored': len(evaluation.per_image),
            'failed': len(failed),
            'not_segmented': len(not_segmented),
            'segmented_this_run': sum(o.status == 'done' for o in outcomes),
        },
        'metrics': evaluation.metrics,
        'nan_images': evaluation.nan_images,
        'failed': failed,
        'missing_ids': list(dataset.missing_ids),
        'not_segmented_ids': not_segmented,
        'run': {
            'device': device,
            'world_size': world_size,
            'seconds': round(time.monotonic() - start, 3),
        },
        'exit_code': 1 if failed else 0,
    }
    _save_results(layout, results, evaluation.per_image)
    return results


# ----------------------------------------------------------------------------- command line


def build_parser(description: str, default_config: str | None = None) -> argparse.ArgumentParser:
    """The flags of ``tools/DynaSeg_COCO.py`` and ``tools/evaluate_config.py``."""
    parser = argparse.ArgumentParser(
        description=description
        + (
            ' Writes <work-dir>/preds/<id>.png, preds/records/<id>.json, eval_results.json and '
            'eval_results.pkl; images already segmented are skipped, so rerunning resumes. Exit '
            'code: 0 ok, 1 some image failed (listed), 2 bad arguments/config/data, 130/143 '
            'interrupted.'
        )
    )
    parser.add_argument(
        '--config',
        required=default_config is None,
        default=default_config,
        help='config with model, dataset and evaluator'
        + (f' (default: {default_config})' if default_config else ''),
    )
    parser.add_argument('--work-dir', help='output folder (default: work_dirs/<config stem>)')
    parser.add_argument('--data-root', help="the dataset folder (replaces the config's data_root)")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='config overrides key=value, applied after --data-root',
    )
    parser.add_argument(
        '--launcher',
        choices=LAUNCHERS,
        default='none',
        help='pytorch: under torchrun; slurm: under srun (images split by rank)',
    )
    parser.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    parser.add_argument(
        '--overwrite', action='store_true', help='redo images whose prediction already exists'
    )
    parser.add_argument(
        '--limit',
        type=int,
        help='segment only the first N present images (0: only score the '
        'predictions already there)',
    )
    parser.add_argument('--threads', type=int, help='torch CPU threads per process')
    return parser


def runner_main(
    argv: Sequence[str] | None = None, *, description: str, default_config: str | None = None
) -> int:
    """Parse the flags, run :func:`run_dataset`; returns the exit code."""
    args = build_parser(description, default_config).parse_args(argv)
    try:
        cfg = apply_data_root(load_config(args.config), args.data_root)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
    except (FileNotFoundError, KeyError, ValueError, SyntaxError) as err:
        print(f'error: bad config {args.config!r}: {type(err).__name__}: {err}', file=sys.stderr)
        return 2
    work_dir = args.work_dir or str(Path('work_dirs') / Path(args.config).stem)
    if args.threads:
        torch.set_num_threads(args.threads)
    restore_sigterm = interrupt_on_sigterm()
    try:
        results = run_dataset(
            cfg,
            work_dir,
            device=args.device,
            launcher=args.launcher,
            overwrite=args.overwrite,
            limit=args.limit,
        )
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM as RunInterrupted
        code = err.exit_code if isinstance(err, RunInterrupted) else 130
        print(f'Interrupted; rerun the same command to resume ({work_dir}).', file=sys.stderr)
        return code
    except (FileNotFoundError, UnwritableDirectoryError, ValueError, KeyError) as err:
        # Raised before any image is segmented: a missing list file, data root or evaluator.
        print(f'error: {type(err).__name__}: {err}', file=sys.stderr)
        return 2
    finally:
        restore_sigterm()
        finalize_distributed()
    return int(results['exit_code'])
