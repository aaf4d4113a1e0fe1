"""Make the run of a refined config from a finished run of the same model without refiners.

    python tools/refine_predictions.py --config configs/dynaseg/<refined config>.py \\
        --source work_dirs/<unrefined run> --work-dir work_dirs/<refined run> [--data-root DIR]

Reads each label map of ``--source``, passes it through ``model.refine`` with its image, writes
it and its record into ``--work-dir`` and scores the run like tools/evaluate_config.py. Refuses
a source made by any other model. See :mod:`dynaseg.apis.refine_run`.
Exit code: 0 ok, 1 some image failed to score, 2 bad arguments/config/source.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .options import (
    add_cfg_options,
    add_config,
    add_data_root,
    add_flag,
    config_or_refusal,
    refuse,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    add_config(parser, what='the refined config (it sets model.refine)')
    add_flag(parser, 'source', required=True, help='work dir of the run without refiners')
    add_flag(parser, 'work-dir', required=True, help="the refined run's work dir")
    add_data_root(parser)
    add_cfg_options(parser)
    add_flag(parser, 'overwrite', action='store_true', help='refine images already refined')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/refine_predictions.py``: refine and score; the exit code of the run, or 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    cfg = config_or_refusal(parser, args)
    if cfg is None:
        return 2
    from dynaseg.apis.refine_run import refine_run

    try:
        results = refine_run(
            cfg, args.source, args.work_dir, data_root=args.data_root, overwrite=args.overwrite
        )
    except (FileNotFoundError, ValueError) as err:
        return refuse(parser, str(err))
    return int(results.get('exit_code', 0))
