"""``dynaseg-evaluate`` / ``tools/evaluate_config.py``: segment a config's dataset and score it
with the config's evaluator; :func:`dataset_main` is also ``tools/DynaSeg_COCO.py``'s
(:mod:`dynaseg.cli.coco`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .options import (
    add_batch_size,
    add_cfg_options,
    add_config,
    add_data_root,
    add_device_options,
    add_flag,
    add_image_selection,
    add_launcher,
    add_setting_flags,
    add_split,
    config_or_refusal,
    say_interrupted,
    stream_output,
    torch_threads,
)

if TYPE_CHECKING:
    from mmengine.config import Config


def build_parser(
    description: str, default_config: str | Path | None = None
) -> argparse.ArgumentParser:
    """``dynaseg-evaluate`` / ``tools/evaluate_config.py`` and ``tools/DynaSeg_COCO.py``:
    segment and score a config's dataset."""
    parser = argparse.ArgumentParser(
        description=description
        + (
            ' Writes <work-dir>/preds/<id>.png, preds/records/<id>.json, eval_results.json and '
            'eval_results.pkl; images already segmented are skipped, so rerunning resumes. Exit '
            'code: 0 ok, 1 some image failed (listed), 2 bad arguments/config/data, 130/143 '
            'interrupted.'
        )
    )
    add_config(parser, default=default_config, what='with model, dataset and evaluator')
    add_flag(
        parser,
        'work-dir',
        '--output-folder',
        help='output folder (default: work_dirs/<config name>)',
    )
    add_data_root(parser)
    add_split(parser)
    add_image_selection(
        parser,
        count_help='segment only the first N present images (0: only score the predictions '
        'already there); every prediction present is scored',
    )
    add_setting_flags(parser)
    add_cfg_options(parser, applied='after --data-root and the named flags')
    add_launcher(parser)
    add_device_options(parser)
    add_batch_size(parser)
    parser.add_argument(
        '--overwrite', action='store_true', help='redo images whose prediction already exists'
    )
    return parser


def dataset_main(
    argv: Sequence[str] | None = None,
    *,
    description: str,
    default_config: str | Path | None = None,
) -> int:
    """Parse the flags, run :func:`run_dataset`; returns the exit code."""
    parser = build_parser(description, default_config)
    args = parser.parse_args(argv)
    stream_output()
    cfg = config_or_refusal(parser, args)
    if cfg is None:
        return 2
    with torch_threads(args.threads, args.device):
        return _run_dataset(args, cfg)


def _run_dataset(args: argparse.Namespace, cfg: Config) -> int:
    from dynaseg.apis.dataset_runner import DatasetNotFoundError, run_dataset
    from dynaseg.apis.inference import config_name
    from dynaseg.apis.runtime import RunInterrupted, interrupt_on_sigterm
    from dynaseg.utils.dist import finalize_distributed
    from dynaseg.utils.fileio import UnwritableDirectoryError

    work_dir = args.work_dir or str(Path('work_dirs') / config_name(cfg))
    restore_sigterm = interrupt_on_sigterm()
    try:
        results = run_dataset(
            cfg,
            work_dir,
            device=args.device,
            launcher=args.launcher,
            overwrite=args.overwrite,
            limit=args.images,
            image_ids=args.image_ids,
            batch_size=args.batch_size,
        )
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM as RunInterrupted
        code = err.exit_code if isinstance(err, RunInterrupted) else 130
        say_interrupted(work_dir)
        return code
    except DatasetNotFoundError as err:  # the message says which option fixes it
        print(f'error: {err}', file=sys.stderr)
        return 2
    except (FileNotFoundError, UnwritableDirectoryError, ValueError, KeyError) as err:
        # Raised before any image is segmented: a missing list file or evaluator.
        print(f'error: {type(err).__name__}: {err}', file=sys.stderr)
        return 2
    finally:
        restore_sigterm()
        finalize_distributed()
    return int(results['exit_code'])


def main(argv: Sequence[str] | None = None) -> int:
    """``dynaseg-evaluate`` / ``tools/evaluate_config.py``: any config's dataset, the default
    config's (BSDS500 test) when ``--config`` is not given, as in every other tool."""
    from dynaseg.apis.inference import DEFAULT_CONFIG

    return dataset_main(
        argv,
        description="Segment every image of a config's dataset and score it with the config's "
        'evaluator.',
        default_config=DEFAULT_CONFIG,
    )
