"""Score a dataset run's predictions with the config's evaluator metrics, and print the scores.

Each metric scores the whole set (``compute_metrics``) and, where it has one, each image on its
own (``image_scores``); an image whose own headline score is NaN is named, never dropped silently.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from mmengine.config import Config

from dynaseg.evaluation.functional import read_label_map
from dynaseg.utils import register_all_modules
from dynaseg.utils.image_io import load_image
from dynaseg.utils.labels import resize_nearest

from .layout import DatasetLayout
from .records import plain_json
from .runtime import one_line

__all__ = ['EvaluationOutput', 'describe_metric', 'evaluate_predictions', 'format_results']

#: What the count entries of a metric's scores count: ``num_segments`` is the ground truth's.
COUNT_LABELS = {
    'num_images': 'images scored',
    'num_segments': 'ground-truth segments scored, pooled over images',
}
#: Constructor arguments that say nothing about what a metric measures.
_PLUMBING_ARGS = ('self', 'collect_device', 'prefix')
#: Most image ids the console names in one list (eval_results.json lists them all).
SHOWN_IDS = 20


@dataclass
class EvaluationOutput:
    """Scores of the predictions present: aggregate metrics, per-image rows, failures, NaNs."""

    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    per_image: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    nan_images: dict[str, dict[str, Any]] = field(default_factory=dict)
    protocol: dict[str, dict[str, Any]] = field(default_factory=dict)


def _argument_docs(cls: type) -> dict[str, str]:
    """The ``Args:`` entries of a class docstring (Google style), one line each."""
    docs: dict[str, str] = {}
    name, in_args = None, False
    for line in (inspect.getdoc(cls) or '').splitlines():
        if line.strip() == 'Args:':
            in_args = True
        elif in_args and line and not line.startswith(' '):
            break  # the next section
        elif in_args and line.startswith('    ') and not line.startswith('     '):
            name, _, text = line.strip().partition(':')
            docs[name] = text.strip()
        elif in_args and name and line.strip():
            docs[name] += ' ' + line.strip()
    return docs


def describe_metric(metric: Any) -> dict[str, Any]:
    """What a metric measures, from the metric itself: its class, the constructor arguments
    that define it (defaults included: ``relabel=True`` is a protocol even when no config says
    it), the first line of its docstring and what each of those arguments means.

    Returns:
        ``{'metric': name, 'args': {arg: value}, 'summary': str, 'args_doc': {arg: str}}``.
    """
    cls = type(metric)
    params = inspect.signature(cls.__init__).parameters
    args = {
        name: getattr(metric, name)
        for name in params
        if name not in _PLUMBING_ARGS and hasattr(metric, name)
    }
    docs = _argument_docs(cls)
    summary = (inspect.getdoc(cls) or '').split('\n')[0]
    return {
        'metric': cls.__name__,
        'args': args,
        'summary': summary,
        'args_doc': {name: docs[name] for name in args if name in docs},
    }


def _add_image_scores(metric: Any, rows: list[dict[str, Any]]) -> list[str] | None:
    """Add ``<prefix>/<score>`` entries to each image's row; returns the ids whose headline
    score (the first one, mIoU or PRI) is NaN, or None if the metric has no per-image scores."""
    # Metrics from other packages (mmseg's IoUMetric, ...) have no per-image scores.
    image_scores = getattr(metric, 'image_scores', None)
    if image_scores is None:
        return None
    nan_ids = []
    for row, result in zip(rows, metric.results, strict=True):
        scores = image_scores(result)
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


def _stale_reason(
    layout: DatasetLayout, img_id: str, model_config: Any, picture_pixels: int | None
) -> str | None:
    """Why a prediction must not be scored with this config, or None if it may."""
    record = layout.record(img_id)
    if not record.is_file():
        return f'prediction has no record {record} (rerun with --overwrite)'
    saved = json.loads(record.read_text(encoding='utf-8'))
    if plain_json(saved.get('model_config')) != model_config:
        return 'prediction was made with a different model config (rerun with --overwrite)'
    if saved.get('picture_pixels') != picture_pixels:
        return (
            f'prediction was made from pictures of <= {saved.get("picture_pixels")} pixels, '
            f'not {picture_pixels} (rerun with --overwrite)'
        )
    return None


def _prediction(layout: DatasetLayout, info: dict, picture_pixels: int | None) -> np.ndarray:
    """One image's label map, at the image's own size: a prediction made from a downscaled
    picture (``picture_pixels``) is upsampled (nearest) to the size of the ground truth."""
    labels = read_label_map(layout.pred(info['img_id']))
    if picture_pixels:
        size = load_image(info['img_path']).shape[:2]
        labels = resize_nearest(labels, size) if labels.shape != size else labels
    return labels


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
    model_config = plain_json(cfg.model.to_dict())
    picture_pixels = cfg.get('picture_pixels')
    out = EvaluationOutput(protocol={m.prefix: describe_metric(m) for m in metrics})
    scored: list[dict] = []
    for info in infos:
        img_id = info['img_id']
        if not layout.pred(img_id).is_file():
            continue
        lengths = [len(m.results) for m in metrics]
        try:
            stale = _stale_reason(layout, img_id, model_config, picture_pixels)
            if stale:
                raise ValueError(stale)
            sample = {
                'pred_sem_seg': {'data': _prediction(layout, info, picture_pixels)},
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


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return 'NaN' if math.isnan(value) else f'{value:.4f}'
    return str(value)


def _id_list(ids: Sequence[str]) -> str:
    shown = ', '.join(str(i) for i in ids[:SHOWN_IDS])
    return shown + (f' ... ({len(ids) - SHOWN_IDS} more)' if len(ids) > SHOWN_IDS else '')


def _metric_row(prefix: str, key: str, value: Any) -> tuple[str, str]:
    label = COUNT_LABELS.get(key)
    return f'{prefix}/{key}', _format_value(value) + (f' ({label})' if label else '')


def format_results(results: dict[str, Any]) -> str:
    """The printed summary: which images of which split were scored, under which protocol, then
    one ``metric | value`` row per score (counts say what they count), then problems."""
    counts, dataset = results['counts'], results['dataset']
    split = f" split '{dataset['split']}'" if dataset.get('split') else ''
    picture = results.get('picture_pixels')
    lines = [
        f'{results["config"]} (seed {results["seed"]}) on {dataset["type"]}{split}: '
        f'{counts["scored"]} images scored of {counts["listed"]} listed ({counts["missing"]} '
        f'missing, {counts["present"]} present, {counts["failed"]} failed, '
        f'{counts["not_segmented"]} not segmented)'
        + (f', each segmented at <= {picture} pixels and scored at full size' if picture else '')
    ]
    if results.get('scored_ids'):
        lines.append(f'Scored: {_id_list(results["scored_ids"])}')
    if results.get('protocol'):
        lines.append('Protocol:')
        meanings: dict[str, str] = {}
        for prefix, described in results['protocol'].items():
            args = ', '.join(f'{k}={v!r}' for k, v in described['args'].items())
            lines.append(f'  {prefix}: {described["metric"]}({args}): {described["summary"]}')
            for name, doc in described['args_doc'].items():
                meanings.setdefault(name, doc)
        lines += [f'  - {name}: {doc.replace("``", "")}' for name, doc in meanings.items()]
    rows = [
        _metric_row(prefix, key, value)
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
