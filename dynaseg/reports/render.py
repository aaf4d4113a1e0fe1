"""The reproduction reports, rendered from the runs' results into the Markdown template.

The prose is ``docs/templates/results.md.in`` (its preamble gives the format); every number comes
from a :class:`~.results.RunResult` (a work dir, or the result a report saved beside itself) and
every label from the run's model config (:mod:`.labels`). Each dataset's subset and score columns
are its dataset class's (:meth:`~dynaseg.datasets.ListedImageDataset.report_subset`,
:meth:`~dynaseg.datasets.ListedImageDataset.report_scores`).
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

from dynaseg.datasets.base import ReportSubset
from dynaseg.datasets.bsds500 import KIM_MODES

from . import labels
from .provenance import REPO_ROOT, fmt, machine_text, repo_relative, shell_line, tool_command
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
from .tables import difference_text, markdown_row, run_cell, score_text

TEMPLATE = 'docs/templates/results.md.in'
_BLOCK = re.compile(r'<!-- block: (?P<name>[\w-]+) -->')


@cache
def template_blocks(path: str = TEMPLATE) -> dict[str, Template]:
    """The named blocks of the report template (see its preamble for the format)."""
    blocks: dict[str, list[str]] = {}
    lines: list[str] | None = None
    for line in (REPO_ROOT / path).read_text(encoding='utf-8').splitlines():
        match = _BLOCK.fullmatch(line.strip())
        if match:
            lines = blocks.setdefault(match['name'], [])
        elif lines is not None:
            lines.append(line)
    return {name: Template('\n'.join(lines).strip('\n')) for name, lines in blocks.items()}


def fill(block: str, **values: Any) -> str:
    """The template block ``block`` with ``values`` substituted (every placeholder required)."""
    return template_blocks()[block].substitute(values)


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


# ----------------------------------------------------------------------------- table reports


def table_row(run: Run, args: argparse.Namespace) -> tuple[str, list[str]]:
    """One row of a warm-start or default report's table and its notes. Its first column says
    how labels are made (warm start) or which levers are set (default)."""
    subset = subset_for(run, args)
    result = run_result(run, args)
    model = model_config(run, args)
    first = (
        labels.levers_label(model)
        if args.spec.kind == 'default'
        else labels.mode_with_levers(model)
    )
    cells = [first, labels.method_label(model), labels.extractor_label(model)]
    cells.append(labels.silhouette_label(model))
    note = status(run, result, subset, args)
    scores = [score_text(c) for c in run.dataset_class.report_scores(result.metrics or {})]
    if args.bootstrap and result.scored_rows():
        scores = [*bootstrap_cells(result, args.bootstrap), scores[-1]]  # covering: pooled ratio
    seconds = result.mean('seconds')
    cells += [images_cell(result, subset, note is None), *scores, fmt(result.mean('num_labels'), 1)]
    cells += [fmt(seconds, 2 if (seconds or 0) < 10 else 1), fmt(result.mean('iterations'), 0)]
    notes = [f'- `{run.name}`: {note}'] if note else []
    return markdown_row([*cells, labels.schedule_text(model)]), notes


#: Region metrics in the paired table: PRI and VOI are plain means over images, covering a ratio
#: pooled over images (:func:`annotated_areas` weighs them).
PAIRED_REGION_METRICS = ('PRI', 'VOI', 'covering')


def annotated_areas(run: Run, args: argparse.Namespace, ids: Sequence[str]) -> dict[str, float]:
    """Each image's weight in BSDS covering, which pools covered over annotated area across
    images and annotations: its annotated area summed over its annotations, read from the
    ground truth of ``run``'s dataset for the images ``ids`` ({} where it is absent)."""
    dataset = run_dataset(run, args.data_root)
    wanted = set(ids)
    return {
        info['img_id']: float(sum(int((gt > 0).sum()) for gt in dataset.load_ground_truth(info)))
        for info in dataset.list_samples()
        if info['img_id'] in wanted and info.get('gt_path') is not None
    }


def seed_runs_and_comparisons(
    runs: Sequence[Run], args: argparse.Namespace
) -> tuple[list[Run], list[Run]]:
    """A default report's runs split in two: the default (``runs[0]``) and the runs whose model
    config is its own but for ``model.seed``, then every other run (the comparisons)."""
    unseeded = [{**model_config(run, args), 'seed': None} for run in runs]
    seeds = [run for run, model in zip(runs, unseeded, strict=True) if model == unseeded[0]]
    return seeds, [run for run in runs if run not in seeds]


def paired_table(runs: Sequence[Run], args: argparse.Namespace) -> str:
    """Paired bootstrap intervals of (default - run) per mode, for every run not a seed run of
    the default (``runs[0]``), on the images both scored; a run with no per-image scores gets a
    row saying so; '' when ``runs`` holds no comparison."""
    from dynaseg.evaluation.comparison import MODES, paired_difference, paired_mean_difference

    comparisons = seed_runs_and_comparisons(runs, args)[1]
    if not comparisons:  # e.g. ``--only`` the seed runs: nothing to pair the default with
        return ''
    base = run_result(runs[0], args).scored_rows()
    areas = annotated_areas(runs[0], args, [row['img_id'] for row in base])
    default_refiners = refiner_kinds(model_config(runs[0], args).get('refine'))
    rows, without_optimisation = [], []
    for run in comparisons:
        model = model_config(run, args)
        label = f'{labels.method_label(model)}, levers: {labels.levers_label(model)}'
        per_image = run_result(run, args).scored_rows()
        if not base or not per_image:
            missing = 'the default' if not base else 'this run'
            rows.append(
                markdown_row([label, *['n/a'] * 7, f'{missing} has no per-image scores here'])
            )
            continue
        diffs = [paired_difference(base, per_image, m, args.bootstrap) for m in MODES]
        region = []  # their paired (weighted) means over images
        for metric in PAIRED_REGION_METRICS:
            # '<evaluator prefix>/PRI': the prefix is the config's (bsds in the shipped ones)
            key = next((k for k in base[0] if k.endswith(f'/{metric}')), None)
            weights = areas if metric == 'covering' else None
            try:
                region.append(
                    paired_mean_difference(base, per_image, key, args.bootstrap, weights=weights)
                    if key
                    else None
                )
            except ValueError:  # no per-image region scores (or, for covering, no ground truth)
                region.append(None)
        cells = [difference_text(d) for d in diffs] + [difference_text(d, 3) for d in region]
        rows.append(markdown_row([label, str(diffs[0].num_images), *cells]) + ' |')  # no note
        same_refiners = default_refiners and refiner_kinds(model.get('refine')) == default_refiners
        if same_refiners and not labels.is_dynaseg(model):  # the default without optimisation
            without_optimisation.append(verdicts(labels.levers_label(model), [*diffs, *region]))
    paragraph = (
        '\n\n' + fill('default-optimisation', rows='\n'.join(without_optimisation))
        if without_optimisation
        else ''
    )
    return fill('default-paired', resamples=args.bootstrap, rows='\n'.join(rows)) + paragraph


def refiner_kinds(refiners: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    """Each refiner's type and the classical method of its regions, their scales aside: a row
    with the default's kinds of refiners on classical labels is the default without its
    optimisation, whether the scales are the default's or were chosen on val for its labels."""
    return [(r.get('type', ''), r.get('regions', {}).get('type', '')) for r in refiners or ()]


#: The paired table's metrics in order, and whether a higher value is better.
PAIRED_METRICS = (
    ('all', True),
    ('fine', True),
    ('coarse', True),
    ('PRI', True),
    ('VOI', False),
    ('covering', True),
)


def verdicts(label: str, differences: Sequence[Any]) -> str:
    """One line of the paragraph on what the optimisation adds: against the comparison
    ``label``, the metrics whose paired interval (default - it) favours the default, those it
    cannot tell, and those that favour the comparison."""
    groups: dict[str, list[str]] = {'better': [], 'cannot tell': [], 'worse': []}
    for (metric, higher_better), d in zip(PAIRED_METRICS, differences, strict=True):
        if d is None:
            continue
        digits = 4 if metric in KIM_MODES else 3
        text = f'{metric} {difference_text(d, digits)}'
        if d.low > 0 or d.high < 0:
            groups['better' if (d.low > 0) == higher_better else 'worse'].append(text)
        else:
            groups['cannot tell'].append(text)
    parts = [f'{verdict} in {", ".join(items)}' for verdict, items in groups.items() if items]
    return f'- against {label}: ' + '; '.join(parts) + '.'


def seeds_table(runs: Sequence[Run], args: argparse.Namespace) -> str:
    """The default's pooled mIoU per seed and mode on the images every seed scored, with mean,
    sample standard deviation and range."""
    from dynaseg.evaluation.comparison import MODES, seed_spread

    seeds = seed_runs_and_comparisons(runs, args)[0]
    scored = [(r, rows) for r in seeds if (rows := run_result(r, args).scored_rows())]
    names = ', '.join(f'`{r.name}`' for r in seeds)
    if len(scored) < 2:
        return fill('default-seeds-missing', seeds=names, scored=len(scored))
    header = ' | '.join(f'seed {model_config(r, args).get("seed", 0)}' for r, _ in scored)
    lines = []
    for mode in MODES:
        spread = seed_spread([rows for _, rows in scored], mode)
        values = ' | '.join(f'{v:.4f}' for v in spread.values)
        lines.append(
            f'| {mode} | {values} | {spread.mean:.4f} +- {spread.std:.4f} | '
            f'{spread.low:.4f} - {spread.high:.4f} |'
        )
    return fill(
        'default-seeds',
        seeds=names,
        images=spread.num_images,
        header=header,
        rule='|---' * (len(scored) + 3) + '|',
        rows='\n'.join(lines),
    )


def render_table_report(runs: Sequence[Run], args: argparse.Namespace, command: str) -> str:
    """A report of BSDS500 test runs in one table (``kind`` warm-start or default); the default
    report adds its paired differences and seed spread."""
    bsds = [run for run in runs if run.dataset == 'bsds500']
    if not bsds:
        raise SystemExit(
            f'error: the {args.report} report shows BSDS500 runs; --only selected none'
        )
    rows, notes = [], []
    for run in bsds:
        row, row_notes = table_row(run, args)
        rows.append(row)
        notes += row_notes
    notes += saved_notes(bsds, args)
    intervals = fill('warm-start-intervals', resamples=args.bootstrap) if args.bootstrap else ''
    extra = {}
    if args.spec.kind == 'default':
        extra = {'paired': paired_table(bsds, args), 'seeds': seeds_table(bsds, args)}
    return fill(
        f'report-{args.spec.kind}',
        title=args.spec.title,
        generated_for=stamp_line(Path(bsds[0].config).stem),
        command=command,
        date=time.strftime('%Y-%m-%d'),
        machine=args.machine or machine_text(args.device, args.threads),
        subset=subset_for(bsds[0], args).description,
        intervals=intervals,
        rows='\n'.join(rows),
        notes=''.join(f'{note}\n' for note in notes),
        regenerate=regenerate_command(args),
        commands='\n'.join(shell_line(command_for(r, subset_for(r, args), args)) for r in bsds),
        **extra,
    )
