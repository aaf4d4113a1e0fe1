"""A setting's row of the tuning table: its status and scores, read from its work dir or from
the per-image results saved beside the table; nothing is computed here."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmengine.config import Config

from dynaseg.reports.results import RunResult, load_result, read_work_dir

from .grid import canonical_overrides

__all__ = [
    'ERROR_JSON',
    'FOREIGN',
    'KIM_MODE_COLUMNS',
    'SELECT_CRITERIA',
    'SETTING_JSON',
    'SettingRow',
    'best_row',
    'metric_columns',
    'read_row',
    'saved_identity',
    'setting_identity',
    'setting_result',
]

#: What a setting's work dir holds beside the run's own files: the setting it was started for
#: (with its model and evaluator), and the reason its run raised.
SETTING_JSON = 'setting.json'
ERROR_JSON = 'tune_error.json'
#: How a row whose work dir belongs to another setting starts its reason (never run over).
FOREIGN = 'work dir holds another setting'

#: ``--select`` -> (row field, higher is better, how the header names it).
SELECT_CRITERIA: dict[str, tuple[str, bool, str]] = {
    'mean': ('mean', True, 'the mean of Kim mIoU all/fine/coarse (higher is better)'),
    'all': ('all', True, 'Kim mIoU all (mode 1, higher is better)'),
    'fine': ('fine', True, 'Kim mIoU fine (mode 2, higher is better)'),
    'coarse': ('coarse', True, 'Kim mIoU coarse (mode 3, higher is better)'),
    'PRI': ('PRI', True, 'PRI (higher is better)'),
    'covering': ('covering', True, 'segmentation covering (higher is better)'),
    'VOI': ('VOI', False, 'VOI (lower is better)'),
}
#: Kim mIoU mode -> column.
KIM_MODE_COLUMNS = {1: 'all', 2: 'fine', 3: 'coarse'}
REGION_KEYS = ('PRI', 'VOI', 'covering')


def metric_columns(cfg: Config) -> dict[str, tuple[str, str]]:
    """Table column -> (metric prefix, key) for the config's evaluator: Kim mIoU modes 1/2/3
    as all/fine/coarse, BSDSRegionMetric as PRI/VOI/covering."""
    evaluators = cfg.evaluator if isinstance(cfg.evaluator, (list, tuple)) else [cfg.evaluator]
    columns: dict[str, tuple[str, str]] = {}
    for metric in evaluators:
        if metric.get('type') == 'KimSegmentMIoU' and metric.get('mode') in KIM_MODE_COLUMNS:
            columns[KIM_MODE_COLUMNS[metric['mode']]] = (metric.get('prefix') or 'kim', 'mIoU')
        elif metric.get('type') == 'BSDSRegionMetric':
            columns.update({k: (metric.get('prefix') or 'bsds', k) for k in REGION_KEYS})
    return columns


@dataclass
class SettingRow:
    """One setting's line of the table; scores are None where not computed."""

    name: str
    overrides: dict[str, str]
    status: str = 'not run'  # 'done', 'partial', 'failed' or 'not run'
    reason: str = ''
    expected: int = 0
    scored: int = 0
    scores: dict[str, float | None] = field(default_factory=dict)
    labels: float | None = None
    seconds: float | None = None
    iterations: float | None = None
    machine: str = ''

    @property
    def mean(self) -> float | None:
        values = [self.scores.get(k) for k in KIM_MODE_COLUMNS.values()]
        if any(v is None or math.isnan(v) for v in values):
            return None
        return sum(values) / len(values)  # type: ignore[arg-type]

    def value(self, column: str) -> float | None:
        return self.mean if column == 'mean' else self.scores.get(column)

    def to_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        out['mean'] = self.mean
        return out


def setting_identity(cfg: Config) -> dict[str, Any]:
    """What must match for a work dir's results to be this setting's: model and evaluator
    (the subset is checked by image id), as plain JSON."""
    identity = {'model': cfg.model.to_dict(), 'evaluator': cfg.get('evaluator')}
    return json.loads(json.dumps(identity, sort_keys=True, default=str))


def _read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding='utf-8')) if path.is_file() else None


def saved_identity(config: Config, overrides: dict[str, Any], ids: Sequence[str]) -> dict[str, Any]:
    """What a saved result must have been saved for to be a setting's: its model and
    evaluator, overrides and images."""
    return {
        'setting': setting_identity(config),
        'overrides': canonical_overrides(overrides),
        'ids': list(ids),
    }


def setting_result(
    work_dir: str | Path,
    overrides: dict[str, Any],
    ids: Sequence[str],
    config: Config | None = None,
    saved: str | Path | None = None,
) -> RunResult:
    """A setting's results: from its work dir or, where no run was ever started there
    (the work dir is gone), from the file ``saved`` beside the table, if it was saved for
    this setting's ``config``, ``overrides`` and ``ids``."""
    result = read_work_dir(work_dir)
    started = (Path(work_dir) / SETTING_JSON).is_file()
    if result.metrics is None and not started and saved is not None and config is not None:
        return load_result(saved, saved_identity(config, overrides, ids)) or result
    return result


def read_row(
    work_dir: str | Path,
    name: str,
    overrides: dict[str, Any],
    expected_ids: Sequence[str],
    columns: dict[str, tuple[str, str]],
    config: Config | None = None,
    saved: str | Path | None = None,
) -> SettingRow:
    """The row of one setting, read from its work dir, or from ``saved`` where the work
    dir is gone (:func:`setting_result`); nothing is computed.

    Status: ``failed`` if the work dir was run with other overrides or (given ``config``, the
    setting's full config) another model or evaluator, if the run raised (``tune_error.json``)
    or if any image failed; ``not run`` without ``eval_results.json``; ``partial`` if fewer
    than ``expected_ids`` were scored; else ``done``. Labels, seconds and iterations are means
    over the scored images' records.
    """
    root = Path(work_dir)
    row = SettingRow(
        name=name, overrides=canonical_overrides(overrides), expected=len(expected_ids)
    )
    setting = _read_json(root / SETTING_JSON) or {}
    error = _read_json(root / ERROR_JSON)
    result = setting_result(root, overrides, expected_ids, config, saved)
    row.machine = setting.get('machine', result.machine)
    failed = result.failed
    if setting and setting.get('overrides') != row.overrides:
        row.status = 'failed'
        row.reason = f'{FOREIGN}: overrides {setting["overrides"]} (use another --work-dir)'
        return row
    if setting and config is not None and setting.get('identity') != setting_identity(config):
        row.status = 'failed'
        row.reason = (
            f'{FOREIGN}: another model or evaluator (--config or --cfg-options changed; '
            'use another --work-dir)'
        )
        return row
    if result.metrics is None:
        if error:
            row.status, row.reason = 'failed', error['reason']
        return row
    wanted = set(expected_ids)
    scored = dataclasses.replace(result, images=[r for r in result.images if r['img_id'] in wanted])
    row.scored = len(scored.images)
    row.scores = {
        column: (result.metrics.get(prefix) or {}).get(key)
        for column, (prefix, key) in columns.items()
    }
    row.labels = scored.mean('num_labels')
    row.seconds = scored.mean('seconds')
    row.iterations = scored.mean('iterations')
    if error:
        row.status, row.reason = 'failed', error['reason']
    elif failed:
        first = failed[0]
        row.status = 'failed'
        row.reason = (
            f'{len(failed)} image(s) failed, e.g. {first["img_id"]} '
            f'({first["stage"]}): {first["reason"]}'
        )
    elif row.scored < row.expected:
        row.status, row.reason = 'partial', f'{row.scored} of {row.expected} images scored'
    else:
        row.status = 'done'
    return row


def best_row(rows: Sequence[SettingRow], select: str = 'mean') -> SettingRow | None:
    """The complete row (status ``done``) best by ``select`` (first of equals), or None."""
    column, higher, _ = SELECT_CRITERIA[select]
    candidates = [r for r in rows if r.status == 'done' and r.value(column) is not None]
    if not candidates:
        return None
    sign = 1.0 if higher else -1.0
    return max(candidates, key=lambda r: sign * r.value(column))  # type: ignore[operator]
