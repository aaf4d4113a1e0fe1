"""The one-table reports of BSDS500 test runs: warm start, and the default with its paired
differences and seed spread (``kind`` of the report spec, :mod:`.runs`).

Their rows, notes and commands are those of the results report (:mod:`.render`); what is theirs
is one table for every run, the paired bootstrap intervals of (default - run) and the spread of
the default over its seeds.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dynaseg.datasets.bsds500 import KIM_MODES

from . import labels
from .provenance import fmt, machine_text, shell_line
from .render import (
    bootstrap_cells,
    images_cell,
    regenerate_command,
    run_result,
    saved_notes,
    status,
)
from .runs import Run, command_for, model_config, run_dataset, subset_for
from .stamp import stamp_line
from .tables import difference_text, markdown_row, score_text
from .template import fill


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
