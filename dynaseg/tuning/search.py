"""The search: one resumable run per setting (or, with ``--table-only``, only reading them),
then the rows' JSON, the table and its paired intervals (see :mod:`dynaseg.tuning`)."""

from __future__ import annotations

import argparse
import datetime
import math
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmengine.config import Config

from dynaseg.apis.dataset_runner import apply_data_root, build_dataset, run_dataset
from dynaseg.apis.inference import load_config
from dynaseg.apis.overrides import apply_overrides, check_overrides
from dynaseg.apis.runtime import one_line
from dynaseg.reports.provenance import fmt, machine_text, repo_relative, tool_command
from dynaseg.reports.results import RunResult, save_result, saved_path
from dynaseg.reports.stamp import stamp_text

from .grid import (
    canonical_overrides,
    check_split,
    dedupe_settings,
    expand_grid,
    parse_axes,
    parse_setting,
    sample_grid,
    setting_names,
)
from .paired import paired_rows, render_paired
from .rows import (
    ERROR_JSON,
    FOREIGN,
    SETTING_JSON,
    SettingRow,
    metric_columns,
    read_row,
    saved_identity,
    setting_identity,
    setting_result,
)
from .table import SearchInfo, recorded_provenance, render_table

__all__ = ['ROWS_JSON', 'Search', 'prepare_search', 'regenerate_command', 'run_search']

#: Every row and the header facts of a search, in its work dir.
ROWS_JSON = 'tune_results.json'


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
    setting = {'name': name, 'overrides': canonical_overrides(overrides), 'machine': machine}
    save_json(work_dir / SETTING_JSON, {**setting, 'identity': setting_identity(cfg)})
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
    settings = dedupe_settings(grid + explicit)
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
    A search that only reads (``--table-only``) does not check its settings' keys against
    today's code: a table whose settings include a lever removed since (its results saved
    beside it) still renders, and a misspelt key there only reads as ``not run``.
    """
    check_split(args.split, args.report_test)
    settings, text = _settings(args)
    base = _subset_config(args)
    if not args.table_only:
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
    # Re-rendering reads saved results in one process: a table made under torchrun is re-rendered
    # by its own command without torchrun's RANK and WORLD_SIZE.
    launcher = 'none' if args.table_only else args.launcher
    is_main = init_distributed(launcher, args.device).is_main
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
        provenance = {'machine': machine, 'date': datetime.date.today().isoformat()}
        if args.table_only and args.table:  # the results are an earlier run's: keep its header
            provenance.update(recorded_provenance(args.table))
        info = SearchInfo(
            title=args.title,
            config=repo_relative(args.config),
            dataset=search.dataset,
            split=args.split,
            images=args.images,
            ids=ids,
            search=search.text,
            fixed=canonical_overrides(args.cfg_options or {}),
            command=regenerate_command(args),
            select=args.select,
            **provenance,
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
            save_text(args.table, stamp_text(text))
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
            save_result(path, result, saved_identity(cfg, overrides, ids), done[name].machine)
