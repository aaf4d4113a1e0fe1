"""``tools/tune.py``: its flags, and the exit codes of a search (see :mod:`dynaseg.tuning`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .options import (
    add_cfg_options,
    add_config,
    add_data_root,
    add_device_options,
    add_flag,
    add_launcher,
    add_split,
    say_interrupted,
    torch_threads,
)


def build_parser() -> argparse.ArgumentParser:
    """The flags of ``tools/tune.py`` (see the module doc)."""
    from dynaseg.apis.inference import DEFAULT_CONFIG
    from dynaseg.tuning.rows import SELECT_CRITERIA

    parser = argparse.ArgumentParser(
        description='Grid or random search over config keys on a train/val subset, one '
        'resumable work dir and one table row per setting. Exit code: 0 every setting done, '
        '1 some setting failed or is incomplete, 2 bad arguments (a test split without '
        '--report-test included), 130/143 interrupted.'
    )
    add_config(parser, default=DEFAULT_CONFIG, what='the base config (model, dataset, evaluator)')
    add_data_root(parser)
    add_split(parser, required='Required: train or val (test needs --report-test)')
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
    add_flag(parser, 'work-dir', required=True, help='one sub-folder per setting')
    add_flag(
        parser,
        'refine-from',
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
    add_flag(
        parser,
        'paired-with',
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
    add_flag(
        parser,
        'table-only',
        action='store_true',
        help='only re-render, from finished work dirs or the results saved beside the table, '
        'keeping the machine and date the table names (one process, even with --launcher)',
    )
    add_flag(
        parser,
        'report-test',
        action='store_true',
        help='allow the test split to report final settings (no best row is picked)',
    )
    add_cfg_options(parser, applied='to every setting, before its own overrides')
    add_device_options(parser)
    add_launcher(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/tune.py``: parse the flags, run the search; returns the exit code."""
    from dynaseg.apis.runtime import RunInterrupted, interrupt_on_sigterm, one_line
    from dynaseg.tuning.search import prepare_search, run_search
    from dynaseg.utils.dist import finalize_distributed

    args = build_parser().parse_args(argv)
    try:  # every argument, config and dataset error is reported before any setting runs
        search = prepare_search(args)
    except (ValueError, KeyError, FileNotFoundError, SyntaxError) as err:
        print(f'error: {one_line(err)}', file=sys.stderr)
        return 2
    restore_sigterm = interrupt_on_sigterm()
    try:
        with torch_threads(args.threads, args.device):  # restored when main returns
            return run_search(search, args, log=lambda m: print(m, flush=True))[1]
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM as RunInterrupted
        say_interrupted(args.work_dir)
        return err.exit_code if isinstance(err, RunInterrupted) else 130
    finally:
        restore_sigterm()
        finalize_distributed()
