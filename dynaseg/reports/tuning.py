"""An honest selection protocol: search config keys on a train/val subset, one table row a setting.

``tools/tune.py`` is the command line of this module::

    python tools/tune.py --config configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py \\
        --data-root data/bsds500 --split val --images 20 \\
        --grid model.loss.weight.mu=8,15,30 model.schedule.patience=20,40 \\
        --work-dir work_dirs/tune/fsf --table docs/log/tuning.md \\
        [--setting model.loss.weight.mu=50 ...] [--random N --seed S] [--select mean] \\
        [--cfg-options KEY=V ...] [--title TEXT] [--table-only] [--report-test] \\
        [--threads N] [--device cpu|cuda] [--launcher none|pytorch|slurm]

What it does:

- **Settings.** ``--grid key=v1,v2 ...`` is the cartesian product of the listed values (in the
  order given); ``--random N --seed S`` keeps N of those combinations, drawn without replacement
  with that seed (listed in grid order); each ``--setting key=value ...`` adds one explicit setting
  (``--setting`` alone is the config as it is). ``--cfg-options`` applies to every setting,
  before its own overrides (a cheap schedule for a smoke run, say). Values are Python literals
  (``8``, ``0.5``, ``None``, ``True``, ``(1, 2)``, ``'reflect'``); anything else is a string.
- **Subset.** ``--split`` sets ``dataset.split``; ``--images N`` sets ``dataset.indices=N``, the
  first N images of the split's sorted id list. The ids used are recorded in the outputs.
- **Nothing is chosen on test.** A split named ``test`` is refused unless ``--report-test`` is
  given, and then the table reports the settings without marking a best one.
- **Runs.** Each setting gets its own work dir ``<work-dir>/<name>`` (a stable, filesystem-safe
  name from its overrides, such as ``mu=8__patience=20``) and goes through
  :func:`~dynaseg.apis.dataset_runner.run_dataset`, the code path of ``tools/evaluate_config.py``:
  every image of the subset is segmented (images already done are skipped) and scored with the
  config's evaluator. A setting whose work dir already holds complete results for the subset is
  read back, not rerun, so rerunning the command resumes; ``--table-only`` only reads.
- **Per-image scores.** With ``--table``, each complete setting's per-image scores are saved
  beside the table (``<table stem>/<setting>.json``, :mod:`.results`), to be committed
  with it: once the work dirs are gone, ``--table-only`` still renders the table and its paired
  intervals from them (for the same model, evaluator, overrides and images only).
- **Outputs.** ``<work-dir>/tune_results.json`` (every row and the header facts) and the Markdown
  table ``--table``: per setting the overrides, Kim mIoU all/fine/coarse (modes 1/2/3) and their
  mean, PRI/VOI/covering, mean labels and seconds per image, images scored, and its status (a
  failed setting is shown with its reason). Rows keep the order of the search. The header names
  the split, subset, the command that regenerates the table, machine, date and the best row by
  ``--select`` (default ``mean`` of all/fine/coarse) among the settings with every image scored.

Library use::

    >>> from dynaseg.reports.tuning import parse_axes, expand_grid, setting_names
    >>> settings = expand_grid(parse_axes(['model.loss.weight.mu=8,15', 'model.seed=0']))
    >>> setting_names(settings)
    ['mu=8__seed=0', 'mu=15__seed=0']
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import datetime
import hashlib
import itertools
import json
import math
import random
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmengine.config import Config

from dynaseg.apis.dataset_runner import apply_data_root, build_dataset, run_dataset
from dynaseg.apis.inference import load_config
from dynaseg.apis.overrides import apply_overrides, check_overrides
from dynaseg.apis.runtime import one_line

from .provenance import fmt, machine_text, repo_relative, tool_command
from .results import RunResult, load_result, read_work_dir, save_result, saved_path
from .tables import escape, markdown_row
from .tuning_paired import paired_rows, render_paired

__all__ = [
    'FOREIGN',
    'SELECT_CRITERIA',
    'SettingRow',
    'TestSplitError',
    'best_row',
    'check_split',
    'expand_grid',
    'metric_columns',
    'parse_axes',
    'parse_value',
    'read_row',
    'render_table',
    'prepare_search',
    'regenerate_command',
    'run_search',
    'sample_grid',
    'setting_name',
    'setting_names',
    'tune_main',
]

SETTING_JSON = 'setting.json'
ERROR_JSON = 'tune_error.json'
ROWS_JSON = 'tune_results.json'
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

_NAME_UNSAFE = re.compile(r'[^A-Za-z0-9._+-]+')
_MAX_NAME = 120


class TestSplitError(ValueError):
    """A search was asked to choose on the test split."""


# ----------------------------------------------------------------------------- settings


def parse_value(text: str) -> Any:
    """A Python literal (int, float, None, True/False, tuple, list, dict, quoted string) or,
    failing that, the text itself as a string."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text.strip()


def _split_top_level(text: str) -> list[str]:
    """``text`` split at the commas outside brackets and quotes."""
    parts, depth, quote, start = [], 0, '', 0
    for i, char in enumerate(text):
        if quote:
            quote = '' if char == quote and text[i - 1] != '\\' else quote
        elif char in '\'"':
            quote = char
        elif char in '([{':
            depth += 1
        elif char in ')]}':
            depth -= 1
        elif char == ',' and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _key_and_text(item: str) -> tuple[str, str]:
    key, equals, text = item.partition('=')
    if not equals or not key.strip() or not text.strip():
        raise ValueError(f'expected key=value, got {item!r}')
    return key.strip(), text


def parse_axes(items: Sequence[str]) -> dict[str, list[Any]]:
    """``['a.b=1,2', 'c=None,(1, 2)']`` -> ``{'a.b': [1, 2], 'c': [None, (1, 2)]}``.

    Commas inside brackets or quotes do not split values; a key given twice is an error.
    """
    axes: dict[str, list[Any]] = {}
    for item in items:
        key, text = _key_and_text(item)
        if key in axes:
            raise ValueError(f'key {key!r} given twice')
        parts = _split_top_level(text)
        if any(not part.strip() for part in parts):
            raise ValueError(f'empty value in {item!r}')
        axes[key] = [parse_value(part) for part in parts]
    return axes


def parse_setting(items: Sequence[str]) -> dict[str, Any]:
    """``['a.b=1', 'c=(1, 2)']`` -> ``{'a.b': 1, 'c': (1, 2)}``: one explicit setting."""
    setting: dict[str, Any] = {}
    for item in items:
        key, text = _key_and_text(item)
        if key in setting:
            raise ValueError(f'key {key!r} given twice')
        setting[key] = parse_value(text)
    return setting


def expand_grid(axes: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of ``axes``, the last key varying fastest (no axes: no setting)."""
    if not axes:
        return []
    keys = list(axes)
    return [dict(zip(keys, values)) for values in itertools.product(*axes.values())]


def sample_grid(axes: dict[str, list[Any]], count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` distinct combinations of ``axes`` drawn with ``seed``, in grid order.

    The same axes, count and seed always give the same settings; a count at least the grid's
    size gives the whole grid. Only the drawn combinations are built, so the grid may be huge.
    """
    if count < 1:
        raise ValueError(f'--random needs a positive count, got {count}')
    if not axes:
        return []
    sizes = [len(values) for values in axes.values()]
    total = math.prod(sizes)
    if count >= total:
        return expand_grid(axes)
    settings = []
    for index in sorted(random.Random(seed).sample(range(total), count)):
        chosen = []
        for size in reversed(sizes):  # mixed radix, the last key varying fastest
            index, digit = divmod(index, size)
            chosen.append(digit)
        digits = reversed(chosen)
        settings.append({key: axes[key][d] for key, d in zip(axes, digits)})
    return settings


def _short_keys(keys: Sequence[str]) -> dict[str, str]:
    """Each dotted key's shortest suffix not shared by another key of the same setting."""
    parts = {key: key.split('.') for key in keys}
    short = {}
    for key, words in parts.items():
        for n in range(1, len(words) + 1):
            suffix = words[-n:]
            if all(other[-n:] != suffix for k, other in parts.items() if k != key):
                break
        short[key] = '.'.join(suffix)
    return short


def _safe(text: str) -> str:
    """Runs of unsafe characters -> ``-``, dropped at the ends (a sign of ``-0.5`` is kept)."""
    safe = _NAME_UNSAFE.sub('-', text)
    start = 1 if safe.startswith('-') and not text.startswith('-') else 0
    end = len(safe) - (1 if safe.endswith('-') and not text.endswith('-') else 0)
    return safe[start:end] or '-'


def _canonical(overrides: dict[str, Any]) -> dict[str, str]:
    """The overrides as ``key -> repr(value)``: what identifies a setting in its work dir."""
    return {key: repr(value) for key, value in overrides.items()}


def _digest(overrides: dict[str, Any]) -> str:
    text = json.dumps(_canonical(overrides), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def setting_name(overrides: dict[str, Any]) -> str:
    """A readable, filesystem-safe, stable name: ``mu=8__patience=20`` (``base`` if empty).

    Keys are shortened to their last dotted part(s) (enough to tell this setting's keys apart),
    values written as given (strings bare, others as ``repr``); characters outside
    ``[A-Za-z0-9._+-]`` become ``-``. A name that would be too long is cut and ends in a hash of
    the overrides.
    """
    if not overrides:
        return 'base'
    short = _short_keys(list(overrides))
    words = []
    for key, value in overrides.items():
        text = value if isinstance(value, str) else repr(value)
        words.append(f'{_safe(short[key])}={_safe(text)}')
    name = '__'.join(words)
    if len(name) > _MAX_NAME:
        name = f'{name[: _MAX_NAME - 10]}__{_digest(overrides)}'
    return name


def setting_names(settings: Sequence[dict[str, Any]]) -> list[str]:
    """:func:`setting_name` of each setting; names two settings would share get a hash suffix."""
    names = [setting_name(s) for s in settings]
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return [
        f'{name}__{_digest(s)}' if counts[name] > 1 else name
        for name, s in zip(names, settings, strict=True)
    ]


def _dedupe(settings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, kept = set(), []
    for setting in settings:
        key = json.dumps(_canonical(setting), sort_keys=True)
        if key not in seen:
            seen.add(key)
            kept.append(setting)
    return kept


def check_split(split: str, report_test: bool) -> None:
    """Refuse to search on a test split (any split whose name contains ``test``) unless
    ``report_test``: settings are chosen on train or val, test only reports the chosen ones."""
    if 'test' in split.lower() and not report_test:
        raise TestSplitError(
            f'refusing to search on the {split!r} split: nothing is chosen on test. Search on '
            '--split train or --split val; to report final settings on test (no best row is '
            'picked), pass --report-test'
        )


# ----------------------------------------------------------------------------- rows


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


def _identity(cfg: Config) -> dict[str, Any]:
    """What must match for a work dir's results to be this setting's: model and evaluator
    (the subset is checked by image id), as plain JSON."""
    identity = {'model': cfg.model.to_dict(), 'evaluator': cfg.get('evaluator')}
    return json.loads(json.dumps(identity, sort_keys=True, default=str))


def _read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding='utf-8')) if path.is_file() else None


def _saved_identity(
    config: Config, overrides: dict[str, Any], ids: Sequence[str]
) -> dict[str, Any]:
    """What a saved result must have been saved for to be a setting's: its model and
    evaluator, overrides and images."""
    return {'setting': _identity(config), 'overrides': _canonical(overrides), 'ids': list(ids)}


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
        return load_result(saved, _saved_identity(config, overrides, ids)) or result
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
    row = SettingRow(name=name, overrides=_canonical(overrides), expected=len(expected_ids))
    setting = _read_json(root / SETTING_JSON) or {}
    error = _read_json(root / ERROR_JSON)
    result = setting_result(root, overrides, expected_ids, config, saved)
    row.machine = setting.get('machine', result.machine)
    failed = result.failed
    if setting and setting.get('overrides') != row.overrides:
        row.status = 'failed'
        row.reason = f'{FOREIGN}: overrides {setting["overrides"]} (use another --work-dir)'
        return row
    if setting and config is not None and setting.get('identity') != _identity(config):
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


# ----------------------------------------------------------------------------- the table


@dataclass
class SearchInfo:
    """What the table's header says about the search."""

    title: str
    config: str
    dataset: str
    split: str
    images: int | None
    ids: list[str]
    search: str
    fixed: dict[str, str]
    command: str
    machine: str
    date: str
    select: str
    report_test: bool


def render_table(info: SearchInfo, rows: Sequence[SettingRow]) -> str:
    """The Markdown document: header facts, the selection, one table row per setting."""
    subset = (
        f'the first {len(info.ids)} images of the sorted `{info.split}` id list '
        f'(`dataset.indices={info.images}`)'
        if info.images
        else f'all {len(info.ids)} images of the `{info.split}` split'
    )
    machines = sorted({r.machine for r in rows if r.machine}) or [info.machine]
    lines = [
        f'# {info.title}',
        '',
        '<!-- Generated by tools/tune.py; rerun the command below to regenerate. -->',
        '',
        f'- Config: `{info.config}`; dataset {info.dataset}, split `{info.split}`.',
        f'- Subset: {subset}: {", ".join(info.ids)}.',
        f'- Search: {info.search}.',
        '- Options of every setting: '
        + (', '.join(f'`{k}={v}`' for k, v in info.fixed.items()) or 'none (the config as it is)')
        + '.',
        f'- Command (from the repository root; rerunning resumes): `{info.command}`',
        f'- Machine: {"; ".join(machines)}.',
        f'- Date: {info.date}.',
    ]
    criterion = SELECT_CRITERIA[info.select][2]
    if info.report_test:
        lines.append(
            '- Selection: none. This is a report on the test split: nothing is chosen here.'
        )
    else:
        best = best_row(rows, info.select)
        column = SELECT_CRITERIA[info.select][0]
        lines.append(
            f'- Selection: best by {criterion}, among settings with every image scored: '
            + (f'**`{best.name}`** ({fmt(best.value(column))}).' if best else 'none yet.')
        )
    lines += [
        '- Columns: Kim mIoU all/fine/coarse (modes 1/2/3) and their mean, PRI/VOI/covering '
        '(BSDS region metrics), mean labels, seconds and iterations per image over the images '
        'scored.',
        '',
        '| setting | overrides | images | all | fine | coarse | mean | PRI | VOI | covering '
        '| labels | s/image | iters | status |',
        '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: '
        '| ---: | --- |',
    ]
    best = None if info.report_test else best_row(rows, info.select)
    for row in rows:
        name = f'**{row.name}**' if row is best else row.name
        overrides = ', '.join(f'`{k}={v}`' for k, v in row.overrides.items()) or '(config)'
        status = row.status + (f': {row.reason}' if row.reason else '')
        cells = [
            name,
            overrides,
            f'{row.scored}/{row.expected}',
            *(fmt(row.scores.get(k)) for k in KIM_MODE_COLUMNS.values()),
            fmt(row.mean),
            fmt(row.scores.get('PRI'), 3),
            fmt(row.scores.get('VOI'), 3),
            fmt(row.scores.get('covering'), 3),
            fmt(row.labels, 1),
            fmt(row.seconds, 1),
            fmt(row.iterations, 0),
            status,
        ]
        lines.append(markdown_row([escape(c) for c in cells]))
    return '\n'.join(lines) + '\n'


# ----------------------------------------------------------------------------- the search


def _subset_config(args: argparse.Namespace) -> Config:
    cfg = apply_data_root(load_config(args.config), args.data_root)
    options: dict[str, Any] = {'split': args.split, 'dataset.split': args.split}
    if args.images:
        options['dataset.indices'] = args.images
    cfg.merge_from_dict(options)
    return apply_overrides(cfg, args.cfg_options)


def _run_setting(
    cfg: Config,
    overrides: dict[str, Any],
    work_dir: Path,
    expected: Sequence[str],
    columns: dict[str, tuple[str, str]],
    args: argparse.Namespace,
    machine: str,
    log: Callable[[str], None],
) -> SettingRow:
    """Run one setting (``cfg``: the base config with its ``overrides``) unless its work dir
    already holds its complete results."""
    from dynaseg.utils.fileio import save_json

    name = work_dir.name
    row = read_row(work_dir, name, overrides, expected, columns, cfg)
    if row.status == 'done' or row.reason.startswith(FOREIGN):
        why = f' ({row.reason})' if row.reason else ''
        log(f'[{name}] {row.status}: read back from {work_dir}{why}')
        return row
    work_dir.mkdir(parents=True, exist_ok=True)
    setting = {'name': name, 'overrides': _canonical(overrides), 'machine': machine}
    save_json(work_dir / SETTING_JSON, {**setting, 'identity': _identity(cfg)})
    (work_dir / ERROR_JSON).unlink(missing_ok=True)
    try:
        if args.refine_from:  # the labels of a finished run, only refined: seconds, not hours
            from dynaseg.apis.refine_run import refine_run

            refine_run(cfg, args.refine_from, work_dir, log=lambda m: log(f'[{name}] {m}'))
        else:
            run_dataset(
                cfg,
                work_dir,
                device=args.device,
                launcher=args.launcher,
                log=lambda message: log(f'[{name}] {message}'),
            )
    except Exception as err:  # one setting's failure is a row, not the end of the search
        save_json(work_dir / ERROR_JSON, {'reason': one_line(err)})
        log(f'[{name}] FAILED: {one_line(err)}')
    return read_row(work_dir, name, overrides, expected, columns, cfg)


def regenerate_command(args: argparse.Namespace) -> str:
    """The canonical ``python tools/tune.py`` command of ``args`` (paths relative to the
    repository root, options in a fixed order, no ``--table-only``): it recomputes, or resumes,
    the same table whatever order the options were typed in."""
    settings = [('--setting', items) for items in args.setting or []]
    cfg_options = [f'{k}={v!r}' for k, v in (args.cfg_options or {}).items()]
    words = tool_command(
        'tune',
        ('--config', args.config),
        ('--data-root', args.data_root or None),
        ('--split', args.split),
        ('--images', args.images or None),
        ('--grid', args.grid or None),
        *settings,
        ('--random', args.random),
        ('--random-seed', None if args.random is None else args.seed),
        ('--cfg-options', cfg_options or None),
        ('--refine-from', args.refine_from),
        ('--work-dir', args.work_dir),
        ('--table', args.table or None),
        ('--title', args.title),
        ('--select', args.select),
        ('--paired-with', args.paired_with),
        ('--bootstrap', args.bootstrap if args.paired_with else None),
        ('--report-test', args.report_test),
        ('--threads', args.threads or None),
        ('--device', args.device),
        ('--launcher', None if args.launcher == 'none' else args.launcher),
        paths=('--config', '--data-root', '--refine-from', '--work-dir', '--table'),
    )
    return shlex.join(words)


def _settings(args: argparse.Namespace) -> tuple[list[dict[str, Any]], str]:
    """The settings of the search, and how the header describes it."""
    axes = parse_axes(args.grid or [])
    if args.random is not None:
        grid = sample_grid(axes, args.random, args.seed)
        size = math.prod(len(v) for v in axes.values()) if axes else 0
        text = f'{len(grid)} of the {size} grid combinations drawn at random (seed {args.seed})'
    else:
        grid = expand_grid(axes)
        text = f'grid of {len(grid)} combination(s)' if axes else ''
    if axes:
        text += ' over ' + ', '.join(f'`{k}` in {v!r}' for k, v in axes.items())
    explicit = [parse_setting(items) for items in args.setting or []]
    if explicit:
        text = (text + '; plus ' if text else '') + f'{len(explicit)} explicit setting(s)'
    settings = _dedupe(grid + explicit)
    if not settings:
        raise ValueError('nothing to run: give --grid key=v1,v2 ... and/or --setting key=v ...')
    return settings, text


@dataclass
class Search:
    """A search ready to run: its settings and names, base config, subset ids and columns."""

    settings: list[dict[str, Any]]
    names: list[str]
    text: str
    base: Config
    dataset: str
    ids: list[str]
    columns: dict[str, tuple[str, str]]


def prepare_search(args: argparse.Namespace) -> Search:
    """Check the split, expand the settings, build the base config and list the subset.

    Raises :class:`TestSplitError` (a ``ValueError``) for a test split without ``--report-test``,
    ``ValueError`` for bad settings, and the config's or dataset's errors, before any run.
    """
    check_split(args.split, args.report_test)
    settings, text = _settings(args)
    base = _subset_config(args)
    check_overrides(base, *settings)
    names = setting_names(settings)
    if args.paired_with is not None and args.paired_with not in names:
        raise ValueError(
            f'--paired-with {args.paired_with!r} is not a setting of this search: '
            + ', '.join(names)
        )
    dataset = build_dataset(base)
    ids = [dataset.get_data_info(i)['img_id'] for i in range(len(dataset))]
    return Search(
        settings,
        names,
        text,
        base,
        type(dataset).__name__,
        ids,
        metric_columns(base),
    )


def run_search(
    search: Search, args: argparse.Namespace, log: Callable[[str], None] = print
) -> tuple[list[SettingRow], int]:
    """Run (or, with ``args.table_only``, read) every setting; write the JSON and the table.

    Returns the rows and the exit code: 0 if every setting is done, else 1.
    """
    from dynaseg.utils.dist import init_distributed
    from dynaseg.utils.fileio import save_json, save_text

    machine = machine_text(args.device, args.threads)
    is_main = init_distributed(args.launcher, args.device).is_main
    root, ids = Path(args.work_dir), search.ids
    log(f'{len(search.settings)} setting(s) on {len(ids)} {args.split} image(s): {", ".join(ids)}')
    settings = _setting_configs(search)
    rows = []
    for name, overrides, cfg in settings:
        if args.table_only:
            saved = _saved_file(args, name)
            rows.append(read_row(root / name, name, overrides, ids, search.columns, cfg, saved))
        else:
            rows.append(
                _run_setting(cfg, overrides, root / name, ids, search.columns, args, machine, log)
            )
    if is_main:
        info = SearchInfo(
            title=args.title,
            config=repo_relative(args.config),
            dataset=search.dataset,
            split=args.split,
            images=args.images,
            ids=ids,
            search=search.text,
            fixed=_canonical(args.cfg_options or {}),
            command=regenerate_command(args),
            machine=machine,
            date=datetime.date.today().isoformat(),
            select=args.select,
            report_test=args.report_test,
        )
        root.mkdir(parents=True, exist_ok=True)  # --table-only on a search not started yet
        results = {
            name: setting_result(root / name, overrides, ids, cfg, _saved_file(args, name))
            for name, overrides, cfg in settings
        }
        if args.table:
            _save_setting_results(args, settings, ids, rows, results)
        paired = []
        if args.paired_with:
            paired = paired_rows(results, args.paired_with, args.bootstrap)
        if args.table:
            text = render_table(info, rows)
            if args.paired_with:
                text += render_paired(paired, args.paired_with, args.bootstrap)
            save_text(args.table, text)
        save_json(
            root / ROWS_JSON,
            {
                **vars(info),
                'rows': [r.to_dict() for r in rows],
                'paired_with': args.paired_with,
                'paired': [p.to_dict() for p in paired],
            },
        )
        for row in rows:
            log(
                f'{row.name}: {row.status} {row.scored}/{row.expected} mean {fmt(row.mean)}'
                + (f' ({row.reason})' if row.reason else '')
            )
        log(f'Rows in {root / ROWS_JSON}' + (f', table in {args.table}' if args.table else ''))
    return rows, 0 if all(r.status == 'done' for r in rows) else 1


def _saved_file(args: argparse.Namespace, name: str) -> Path | None:
    """Where the table keeps a setting's per-image scores (None without ``--table``)."""
    return saved_path(args.table, Path(args.table).stem, name) if args.table else None


def _setting_configs(search: Search) -> list[tuple[str, dict[str, Any], Config]]:
    """(name, overrides, full config) of every setting of the search."""
    out = []
    for overrides, name in zip(search.settings, search.names, strict=True):
        cfg = search.base.copy()
        cfg.merge_from_dict(overrides)
        out.append((name, overrides, cfg))
    return out


def _save_setting_results(
    args: argparse.Namespace,
    settings: Sequence[tuple[str, dict[str, Any], Config]],
    ids: Sequence[str],
    rows: Sequence[SettingRow],
    results: dict[str, RunResult],
) -> None:
    """Save each complete setting's per-image scores beside the table (see the module doc);
    a result that was itself read from there is left as it is."""
    done = {row.name: row for row in rows if row.status == 'done'}
    for name, overrides, cfg in settings:
        result = results[name]
        path = _saved_file(args, name)
        if path is not None and name in done and not result.saved:
            save_result(path, result, _saved_identity(cfg, overrides, ids), done[name].machine)


# ----------------------------------------------------------------------------- command line


def build_tune_parser() -> argparse.ArgumentParser:
    """The flags of ``tools/tune.py`` (see the module doc)."""
    from dynaseg.cli import (
        add_cfg_options,
        add_config,
        add_data_root,
        add_device_options,
        add_flag,
        add_launcher,
    )

    parser = argparse.ArgumentParser(
        description='Grid or random search over config keys on a train/val subset, one '
        'resumable work dir and one table row per setting. Exit code: 0 every setting done, '
        '1 some setting failed or is incomplete, 2 bad arguments (a test split without '
        '--report-test included), 130/143 interrupted.'
    )
    add_config(parser, what='the base config (model, dataset, evaluator)')
    add_data_root(parser)
    parser.add_argument('--split', required=True, help='train or val (test needs --report-test)')
    parser.add_argument(
        '--images', type=int, help='the first N images of the sorted split (default: all)'
    )
    parser.add_argument(
        '--grid', nargs='+', metavar='KEY=V1,V2', help='axes of a cartesian product'
    )
    parser.add_argument(
        '--setting',
        nargs='*',
        action='append',
        metavar='KEY=V',
        help='one explicit setting (repeatable; alone: the config as it is)',
    )
    parser.add_argument('--random', type=int, metavar='N', help='keep N random grid settings')
    # Not --seed: in every other tool that is the model's seed (model.seed, a --setting here).
    add_flag(
        parser,
        'random-seed',
        '--seed',
        type=int,
        default=0,
        dest='seed',
        help='seed of the --random draw (default 0; --seed is the old spelling)',
    )
    parser.add_argument('--work-dir', required=True, help='one sub-folder per setting')
    parser.add_argument(
        '--refine-from',
        metavar='DIR',
        help='settings that change only model.refine: refine the predictions of this finished '
        'run of the same model (tools/refine_predictions.py) instead of segmenting again',
    )
    parser.add_argument('--table', help='Markdown table to write (e.g. docs/log/tuning.md)')
    parser.add_argument('--title', default='Tuning table', help='heading of the table')
    parser.add_argument(
        '--select',
        choices=list(SELECT_CRITERIA),
        default='mean',
        help='criterion of the best row (default: mean of all/fine/coarse)',
    )
    parser.add_argument(
        '--paired-with',
        metavar='SETTING',
        help="add a table of each setting minus this one (a setting's name, e.g. base: "
        '--setting alone) per Kim mode, with paired bootstrap intervals and the speed-up',
    )
    parser.add_argument(
        '--bootstrap',
        type=int,
        default=2000,
        metavar='N',
        help='resamples of the --paired-with intervals (default 2000)',
    )
    parser.add_argument(
        '--table-only', action='store_true', help='only re-render from finished work dirs'
    )
    parser.add_argument(
        '--report-test',
        action='store_true',
        help='allow the test split to report final settings (no best row is picked)',
    )
    add_cfg_options(parser, applied='to every setting, before its own overrides')
    add_device_options(parser)
    add_launcher(parser)
    return parser


def tune_main(argv: Sequence[str] | None = None) -> int:
    """``tools/tune.py``: parse the flags, run the search; returns the exit code."""
    from dynaseg.apis.runtime import RunInterrupted, interrupt_on_sigterm
    from dynaseg.cli import torch_threads
    from dynaseg.utils.dist import finalize_distributed

    args = build_tune_parser().parse_args(argv)
    try:  # every argument, config and dataset error is reported before any setting runs
        search = prepare_search(args)
    except (ValueError, KeyError, FileNotFoundError, SyntaxError) as err:
        print(f'error: {one_line(err)}', file=sys.stderr)
        return 2
    restore_sigterm = interrupt_on_sigterm()
    try:
        with torch_threads(args.threads, args.device):  # restored when tune_main returns
            return run_search(search, args, log=lambda m: print(m, flush=True))[1]
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM as RunInterrupted
        print(f'Interrupted; rerun the same command to resume ({args.work_dir}).', file=sys.stderr)
        return err.exit_code if isinstance(err, RunInterrupted) else 130
    finally:
        restore_sigterm()
        finalize_distributed()
