"""Run a report's configs, then write the report from their results.

    python tools/reproduce.py [--data-root /path/to/data] [--report results|baselines|...] \\
        [--work-dir work_dirs/reproduce] [--images N | --ids ID ...] [--only PATTERN ...] \\
        [--threads N] [--dry-run | --table-only | --figures-only | --score-only]

A report is a spec, ``configs/reports/<name>.py`` (:mod:`dynaseg.reports.runs`): its runs (a
config and per-run options each), its output and its defaults. ``--data-root`` holds
``bsds500/``, ``voc2012/`` and ``cocostuff/`` (default ``$DYNASEG_DATA_ROOT``, else ``data/``, as
in every tool). Each run is one ``tools/evaluate_config.py`` run in its own work dir,
``<work-dir>/<run name>/<subset>``, or, for a run refined from another, one
``tools/refine_predictions.py`` run on that run's label maps; rerunning resumes (images already
segmented are skipped, then everything present is re-scored). Then the report is written from
the results found (a run without any is listed as "not run" with its command), each run's result
is saved beside it (:mod:`dynaseg.reports.results`), and the results report's figures are drawn.
``--table-only`` writes the report from those saved results alone. Every command runs from the
repository root, and every path the report prints is relative to it.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from dynaseg.reports.provenance import (
    REPO_ROOT,
    data_root,
    machine_text,
    repo_relative,
    shell_line,
)
from dynaseg.reports.render import identity, render, run_result, shows_figures
from dynaseg.reports.results import save_result, saved_path
from dynaseg.reports.runs import (
    command_for,
    execution_order,
    load_spec,
    report_names,
    selected_runs,
    subset_for,
)
from dynaseg.reports.table_report import render_table_report

from .options import add_flag

#: reproduce.py's options that take a path: printed relative to the repository root.
PATH_OPTIONS = ('--data-root', '--work-dir', '--output', '--assets')


def invocation_line(argv: Sequence[str]) -> str:
    """The reproduce.py command as given, its path options relative to the repository root."""
    words: list[str] = []
    after_path_option, in_run_dirs = False, False
    for word in argv:
        option, equals, value = word.partition('=')
        in_run_dirs = bool(words) and (
            words[-1] == '--run-dir' or (in_run_dirs and not word.startswith('-'))
        )
        if after_path_option:
            word = repo_relative(word)
        elif equals and (option in PATH_OPTIONS or in_run_dirs):  # --run-dir NAME=DIR ...
            word = f'{option}={repo_relative(value)}'
        words.append(word)
        after_path_option = word in PATH_OPTIONS
    return shlex.join(['python', 'tools/reproduce.py', *words])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_flag(
        parser,
        'data-root',
        help='folder holding bsds500/, voc2012/ and cocostuff/ (as the configs name them); '
        'default: $DYNASEG_DATA_ROOT, else data/, and the run commands then name none',
    )
    add_flag(parser, 'work-dir', default='work_dirs/reproduce')
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        '--images',
        type=int,
        help="BSDS500: the first N sorted test ids (0: all 200; default: the report spec's)",
    )
    add_flag(
        which,
        'image-ids',
        '--image_ids',
        '--ids',
        dest='image_ids',
        nargs='+',
        help='BSDS500: exactly these test ids (--ids: the old spelling)',
    )
    parser.add_argument(
        '--only',
        nargs='+',
        metavar='NAME',
        help='run names (config stems, shell patterns) to run and report; default: every run '
        'of the report not marked by_default=False in its spec',
    )
    parser.add_argument(
        '--report',
        choices=report_names(),
        default='results',
        help='the report spec configs/reports/<REPORT>.py (default: results, '
        'docs/results/authors_settings.md)',
    )
    add_flag(
        parser,
        'run-dir',
        nargs='+',
        default=[],
        metavar='NAME=DIR',
        help='run (and read) run NAME in DIR instead of <work-dir>/<NAME>/<subset>, '
        'e.g. a run made by hand with tools/evaluate_config.py',
    )
    parser.add_argument('--threads', type=int, help='torch CPU threads per run')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu', help='for every run')
    add_flag(
        parser,
        'batch-size',
        type=int,
        help='same-size images optimised together in every run (evaluate_config.py --batch-size)',
    )
    parser.add_argument(
        '--bootstrap',
        type=int,
        metavar='N',
        help='BSDS500: 95%% bootstrap intervals over images (N resamples, seed 0; 0: none; '
        "default: the report spec's)",
    )
    parser.add_argument(
        '--machine',
        help='where the runs were made, for the report (default: this machine; with '
        "--table-only the report spec's machine, where its saved results were computed, if it "
        'states one)',
    )
    add_flag(
        parser,
        'cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='extra config overrides for every run (e.g. model.schedule.max_pixels=160000)',
    )
    mode = parser.add_mutually_exclusive_group()
    add_flag(mode, 'dry-run', action='store_true', help='print the commands, run nothing')
    add_flag(
        mode,
        'table-only',
        action='store_true',
        help='write the report from the results present; run nothing, no figures',
    )
    add_flag(mode, 'figures-only', action='store_true', help='only draw the figures')
    add_flag(
        mode,
        'score-only',
        action='store_true',
        help='score the predictions present (evaluate_config.py --limit 0), segment '
        'nothing, then write the report and figures',
    )
    parser.add_argument('--output', help="the report to write (default: the report spec's)")
    parser.add_argument('--assets', default='assets', help='where the figures go')
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The flags, completed from the report's spec (its images, bootstrap, output, machine)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.spec = load_spec(args.report)
    args.data_root_given = args.data_root is not None
    args.data_root = str(data_root()) if args.data_root is None else args.data_root
    if args.table_only and args.machine is None:
        args.machine = args.spec.machine or None
    args.images = args.spec.images if args.images is None else args.images
    args.bootstrap = args.spec.bootstrap if args.bootstrap is None else args.bootstrap
    args.output = args.output or args.spec.output
    args.results = {}  # run name -> its RunResult, read once (dynaseg.reports.render.run_result)
    names = {run.name for run in args.spec.runs}
    for item in args.run_dir:
        name, equals, path = item.partition('=')
        if not equals or not path or name not in names:
            parser.error(
                f'--run-dir {item}: expected NAME=DIR with NAME one of: {" ".join(sorted(names))}'
            )
    return args


def save_results(runs: Sequence, args: argparse.Namespace) -> None:
    """Save every run's result scored in its work dir beside the report."""
    machine = args.machine or machine_text(args.device, args.threads)
    for run in runs:
        result = run_result(run, args)
        if result.metrics is not None and not result.saved:
            path = saved_path(args.output, args.report, run.name)
            save_result(path, result, identity(run, args), machine)


def main(argv: Sequence[str] | None = None) -> int:
    from dynaseg.utils.fileio import save_text

    args = parse_args(argv)
    runs = selected_runs(args.spec, args.only)
    invocation = invocation_line(sys.argv[1:] if argv is None else argv)
    if args.dry_run:
        for run in execution_order(runs, args.spec):
            print(shell_line(command_for(run, subset_for(run, args), args)))
        return 0
    code = 0
    if not (args.table_only or args.figures_only):
        for run in execution_order(runs, args.spec):
            command = command_for(run, subset_for(run, args, write=True), args, args.score_only)
            print(f'$ {shell_line(command)}', flush=True)
            start = time.monotonic()
            # From the repository root, where the command's paths are relative to.
            rc = subprocess.call([sys.executable, *command[1:]], cwd=REPO_ROOT)
            print(f'{run.name}: exit {rc} after {time.monotonic() - start:.0f} s', flush=True)
            code = code or rc
    if args.spec.is_table:
        if args.figures_only:
            return code
        if not any(run_result(run, args).metrics is not None for run in runs):
            print(
                f'{args.output} not written: no run of the {args.report} report has results yet '
                '(run them, or point --run-dir at their work dirs)'
            )
            return code or 1
        save_text(args.output, render_table_report(runs, args, invocation))
        save_results(runs, args)
        print(f'wrote {args.output}')
        return code
    if not args.figures_only:
        # --only selects what runs and what the report shows (e.g. a larger BSDS subset for a
        # few configs, written to its own --output); without it the report lists every run.
        save_text(args.output, render(runs, args, invocation))
        save_results(runs, args)
        print(f'wrote {args.output}')
    if not args.table_only and shows_figures(runs, args):
        from dynaseg.reports.figures import draw_figures

        for path in draw_figures(args, Path(args.assets)):
            print(f'wrote {path} ({path.stat().st_size // 1024} KB)')
    return code
