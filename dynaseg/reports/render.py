"""The results report, and what every reproduction report shows of a run.

Every number comes from a :class:`~.results.RunResult` (a work dir, or the result a report saved
beside itself), every label from the run's model config (:mod:`.labels`) and every sentence from
the template (:mod:`.template`). Each dataset's subset and score columns are its dataset class's
(:meth:`~dynaseg.datasets.ListedImageDataset.report_subset`,
:meth:`~dynaseg.datasets.ListedImageDataset.report_scores`). A run's result, its status note and
the regenerate command serve the one-table reports too (:mod:`.table_report`).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dynaseg.datasets.base import ReportSubset
from dynaseg.datasets.bsds500 import KIM_MODES

from . import labels
from .provenance import machine_text, repo_relative, shell_line, tool_command
from .results import RunResult, load_result, read_work_dir, saved_path
from .runs import (
    DATASETS,
    Run,
    command_for,
    model_config,
    run_dataset,
    run_dirs,
    run_work_dir,
    subset_for,
)
from .stamp import stamp_line
from .tables import markdown_row, run_cell, score_text
from .template import fill

# ----------------------------------------------------------------------------- results


def identity(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    """What a saved result must match to stand for ``run``: its model config and subset."""
    subset = subset_for(run, args)
    return {'run': run.name, 'model': model_config(run, args), 'subset': subset.description}


def former_names(run: Run) -> list[str]:
    """The names ``run`` had before its config was renamed (``RENAMED_CONFIGS``): a result saved
    under one of them still stands for it."""
    from dynaseg.apis.inference import RENAMED_CONFIGS

    stem = Path(run.config).stem
    options = run.name[len(stem) :]
    return [old + options for old, new in RENAMED_CONFIGS.items() if new == stem]


def saved_result(run: Run, args: argparse.Namespace) -> RunResult | None:
    """The result this report saved for the same model config and subset, under the run's name
    or a former one; None if there is none."""
    for name in (run.name, *former_names(run)):
        path = saved_path(args.output, args.report, name)
        result = load_result(path, {**identity(run, args), 'run': name})
        if result is not None:
            return result
    return None


def run_result(run: Run, args: argparse.Namespace) -> RunResult:
    """The run's results: its work dir once scored there, else the result this report saved
    for the same model config and subset (:func:`saved_result`), else the (unscored) work dir.
    Read once per command (``args.results`` keeps them by run name)."""
    if run.name not in args.results:
        result = read_work_dir(run_work_dir(run, subset_for(run, args), args))
        if result.metrics is None:
            result = saved_result(run, args) or result
        args.results[run.name] = result
    return args.results[run.name]


def status(
    run: Run, result: RunResult, subset: ReportSubset, args: argparse.Namespace
) -> str | None:
    """None if the run is complete, else what the row's note says instead of (or beside)
    numbers."""
    command = shell_line(command_for(run, subset, args))
    if result.metrics is None or result.scored == 0:
        if result.segmented:  # under way, or stopped before scoring: no score yet
            return (
                f'not scored yet: {result.segmented} label maps in its work dir (a run scores '
                f'when it ends; `--limit 0` scores what is there): `{command}`'
            )
        return f'not run: `{command}`'
    if subset.size is not None and result.scored < subset.size:
        return f'partial: {result.scored} of {subset.size} scored; resume with `{command}`'
    return None


def saved_notes(runs: Sequence[Run], args: argparse.Namespace) -> list[str]:
    """A note per machine naming the rows computed from the results this report saved there,
    because their work dirs are not here ([] when every row is read from its work dir)."""
    by_machine: dict[str, list[tuple[Run, RunResult]]] = {}
    for run in runs:
        if (result := run_result(run, args)).saved:
            by_machine.setdefault(result.machine, []).append((run, result))
    return [
        fill(
            'saved-results',
            names=', '.join(f'`{run.name}`' for run, _ in saved),
            folder=repo_relative(Path(saved[0][1].saved).parent),
            work_dir=repo_relative(args.work_dir),
            machine=machine or 'the machine this report names',
        )
        for machine, saved in by_machine.items()
    ]


def images_cell(result: RunResult, subset: ReportSubset, complete: bool) -> str:
    n = f'{result.scored}/{subset.size}'
    if not complete:
        n = f'**{n} (partial)**' if result.scored else 'not run'
    return n


def regenerate_command(args: argparse.Namespace) -> str:
    """The reproduce.py command that segments and scores every run of this report."""
    output = repo_relative(args.output)
    command = tool_command(
        'reproduce',
        ('--data-root', args.data_root if args.data_root_given else None),
        ('--work-dir', args.work_dir),
        ('--image-ids', args.image_ids) if args.image_ids else ('--images', args.images),
        ('--device', None if args.device == 'cpu' else args.device),
        ('--threads', args.threads),
        ('--batch-size', args.batch_size),
        ('--bootstrap', args.bootstrap or None),
        ('--cfg-options', args.cfg_options or None),
        ('--report', None if args.report == 'results' else args.report),
        ('--run-dir', [f'{n}={repo_relative(p)}' for n, p in run_dirs(args).items()] or None),
        ('--only', args.only),
        ('--output', None if output == args.spec.output else output),
        paths=('--data-root', '--work-dir'),
    )
    return shell_line(command)


# ----------------------------------------------------------------------------- the results report


def table_rows(
    runs: Sequence[Run], args: argparse.Namespace, dataset: str
) -> tuple[list[str], list[str]]:
    """Markdown rows of one dataset's table and the notes on rows not complete."""
    rows, notes = [], []
    for run in (r for r in runs if r.dataset == dataset):
        subset = subset_for(run, args)
        result = run_result(run, args)
        model = model_config(run, args)
        note = status(run, result, subset, args)
        notes += [f'- `{run.name}`: {note}'] if note else []
        cells = [labels.method_label(model), labels.extractor_label(model)]
        cells += [labels.silhouette_label(model), images_cell(result, subset, note is None)]
        cells += [score_text(c) for c in run.dataset_class.report_scores(result.metrics or {})]
        timing = run_cell(
            result.mean('iterations'), result.mean('num_labels'), result.mean('seconds')
        )
        rows.append(markdown_row([*cells, timing, labels.schedule_text(model)]))
    return rows, notes + saved_notes([r for r in runs if r.dataset == dataset], args)


def bootstrap_cells(result: RunResult, n: int) -> list[str]:
    """``value [low, high]`` of all / fine / coarse (Kim's pooled mIoU: per-image mIoU weighted
    by segment count) and PRI / VOI (means over images), resampling images ``n`` times."""
    from dynaseg.evaluation.bootstrap import bootstrap_ci

    rows = result.images

    def cell(key: str, weight_key: str | None, digits: int) -> str:
        values = [row.get(key, math.nan) for row in rows]
        weights = None if weight_key is None else [row.get(weight_key, 0) for row in rows]
        try:
            ci = bootstrap_ci(values, weights, num_resamples=n, seed=0)
        except ValueError:
            return 'n/a'
        return f'{ci.value:.{digits}f} [{ci.low:.{digits}f}, {ci.high:.{digits}f}]'

    region = next((p for p, s in (result.metrics or {}).items() if 'PRI' in s), '')
    cells = [cell(f'{p}/mIoU', f'{p}/num_segments', 4) for p in KIM_MODES]
    return cells + [cell(f'{region}/{k}', None, 3) for k in ('PRI', 'VOI')]


def bootstrap_table(runs: Sequence[Run], args: argparse.Namespace) -> str:
    """The BSDS500 section's table of 95% bootstrap intervals ('' without --bootstrap)."""
    if not args.bootstrap:
        return ''
    rows = []
    for run in (r for r in runs if r.dataset == 'bsds500'):
        result = run_result(run, args)
        if not result.images:
            continue
        cells = bootstrap_cells(result, args.bootstrap)
        label = labels.method_label(model_config(run, args))
        rows.append(markdown_row([label, str(len(result.images)), *cells]))
    if not rows:
        return ''
    return fill('bootstrap-bsds500', resamples=args.bootstrap, rows='\n'.join(rows)) + '\n'


def _first_of_each_dataset(runs: Sequence[Run]) -> dict[str, Run]:
    return {run.dataset: run for run in reversed(runs)}


def differences(runs: Sequence[Run], args: argparse.Namespace, gt_kind: str) -> str:
    """The paragraph on what differs from the published setting, for the runs shown."""
    subsets = {d: subset_for(r, args) for d, r in _first_of_each_dataset(runs).items()}
    whole_bsds = 'bsds500' in subsets and subsets['bsds500'].tag == 'test_all'
    if whole_bsds and set(subsets) == {'bsds500'}:
        sentences = [fill('differences-whole-bsds500')]
    else:
        sizes = [
            'the whole BSDS500 test set'
            if whole_bsds and dataset == 'bsds500'
            else subset.summary + (" of BSDS500's 200" if dataset == 'bsds500' else '')
            for dataset, subset in sorted(subsets.items(), key=lambda d: DATASETS.index(d[0]))
        ]
        sentences = [fill('differences-small-subsets', sizes='; '.join(sizes))]
    models = [model_config(run, args) for run in runs]
    schedules = dict(
        sorted({labels.schedule_kind(m)[::-1] for m in models if labels.is_dynaseg(m)})
    )
    sentences += [fill(block, name=name) for name, block in schedules.items()]
    sentences.append(fill('differences-scoring'))
    if any(labels.random_resnet(m) for m in models):
        sentences.append(fill('differences-random-resnet'))
    if 'bsds500' in subsets:
        sentences.append(fill('differences-kim-silhouette'))
    if {'voc2012', 'cocostuff27'} & set(subsets):
        sentences.append(fill('differences-voc-coco', gt_kind=gt_kind))
    return ' '.join(sentences)


def shows_figures(runs: Sequence[Run], args: argparse.Namespace) -> bool:
    """Whether the report shows every run its figures are drawn from."""
    names = {name for _, name in args.spec.figure_runs}
    return bool(names) and names <= {run.name for run in runs}


def render(runs: Sequence[Run], args: argparse.Namespace, command: str) -> str:
    """The results report for ``runs``: one section per dataset they cover, then the commands."""
    first = _first_of_each_dataset(runs)
    unknown = set(first) - set(DATASETS)
    if unknown:
        raise SystemExit(
            f'error: the report template has no section for {" ".join(sorted(unknown))}'
        )
    gt_kind = 'class'
    if 'voc2012' in first:
        try:
            gt_kind = run_dataset(
                first['voc2012'], args.data_root, split='val_with_images'
            ).resolved_gt_kind()
        except Exception as err:  # the dataset may be absent: say so rather than guess
            gt_kind = f'unknown ({type(err).__name__})'
    sections = []
    for dataset in (d for d in DATASETS if d in first):
        rows, notes = table_rows(runs, args, dataset)
        sections.append(
            fill(
                f'section-{dataset}',
                subset=subset_for(first[dataset], args).description,
                rows='\n'.join(rows),
                notes=''.join(f'{note}\n' for note in notes)
                + (bootstrap_table(runs, args) if dataset == 'bsds500' else ''),
                gt_kind=gt_kind,
            )
        )
    commands = [shell_line(command_for(run, subset_for(run, args), args)) for run in runs]
    return fill(
        'report',
        title=args.spec.title,
        generated_for=stamp_line(Path(runs[0].config).stem),
        command=command,
        date=time.strftime('%Y-%m-%d'),
        score_only=' ' + fill('score-only') if args.score_only else '',
        machine=args.machine or machine_text(args.device, args.threads),
        sections='\n\n'.join(sections),
        differences=differences(runs, args, gt_kind),
        regenerate=regenerate_command(args),
        commands='\n'.join(commands),
        figures=f'\n{fill("figures")}\n' if shows_figures(runs, args) else '',
    )
