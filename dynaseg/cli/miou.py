"""``dynaseg-miou`` / ``tools/calculate_mIOU.py``: Kim et al.'s best-match mIoU of a folder of label
maps, or with ``--bsds-bench`` the whole BSDS500 benchmark. Never loads torch."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from dynaseg.evaluation.functional.bsds_records import INPUT_KINDS
from dynaseg.evaluation.functional.kim_miou import BSDS_MODES
from dynaseg.evaluation.functional.ucm import DEFAULT_NUM_THRESHOLDS

from .options import add_flag, name_list, refuse

#: ``--dataset`` of ``dynaseg-miou``: the project's dataset folder names, and the scorer's name
#: for each (``bsd500``, the authors' spelling, stays accepted).
MIOU_DATASETS = {'bsds500': 'bsd500', 'bsd500': 'bsd500', 'voc2012': 'voc', 'voc': 'voc'}


def build_parser() -> argparse.ArgumentParser:
    """``dynaseg-miou`` / ``tools/calculate_mIOU.py``: Kim et al.'s mIoU of a folder."""
    parser = argparse.ArgumentParser(
        description="Kim et al.'s best-match segment mIoU of a folder of predicted label maps."
    )
    add_flag(
        parser,
        'results-dir',
        required=True,
        help='folder of <id>.png single-channel label maps or <id>.csv (Kim format)',
    )
    add_flag(
        parser,
        'ground-truth-dir',
        required=True,
        help='bsds500: <id>.mat (or <id>-<k>.csv); voc2012: <id>.png object/class labels',
    )
    parser.add_argument(
        '--dataset',
        choices=list(MIOU_DATASETS),
        default='bsds500',
        help='bsds500 (default; alias bsd500) or voc2012 (alias voc)',
    )
    parser.add_argument(
        '--mode',
        type=int,
        choices=sorted(BSDS_MODES),
        default=1,
        help='BSDS500: 1 all annotations, 2 fine (most segments), 3 coarse (fewest)',
    )
    add_flag(
        parser,
        'resize-images',
        action='store_true',
        help='nearest-neighbour resize predictions to the ground-truth size',
    )
    add_flag(
        parser,
        'no-relabel',
        dest='relabel',
        action='store_false',
        help='score predicted labels as they are, without splitting disconnected '
        'regions into separate segments',
    )
    add_flag(
        parser,
        'allow-missing',
        action='store_true',
        help='score the matched images even if some prediction or ground truth '
        'has no counterpart (exit code 0)',
    )
    add_flag(
        parser,
        'bsds-bench',
        action='store_true',
        help='run the whole BSDS500 benchmark instead (boundary F at ODS/OIS and AP, covering, '
        'PRI, VOI) on ucm2 hierarchies, segmentation sets or label maps; needs <id>.mat '
        'ground truth (docs/metrics.md)',
    )
    add_flag(
        parser,
        'bsds-input',
        choices=INPUT_KINDS,
        default='auto',
        help='--bsds-bench: what the prediction files are (auto: .mat/.npz/.npy hold ucm2 or '
        'segs, .png/.csv are label maps; boundary-map: 8-bit soft boundary PNGs)',
    )
    add_flag(
        parser,
        'thresholds',
        type=int,
        default=DEFAULT_NUM_THRESHOLDS,
        help='--bsds-bench: thresholds of a ucm2 or boundary map (the benchmark uses 99)',
    )
    add_flag(
        parser,
        'bench-parts',
        nargs='+',
        choices=('boundary', 'region'),
        default=['boundary', 'region'],
        help='--bsds-bench: which benchmarks to run (the boundary one is the slow one)',
    )
    add_flag(
        parser,
        'connectivity',
        type=int,
        choices=(4, 8),
        default=8,
        help="--bsds-bench: regions of a ucm2 cut and of a label map's disconnected parts "
        "(8, the benchmark's bwlabel; or 4)",
    )
    add_flag(parser, 'workers', type=int, default=1, help='--bsds-bench: images scored at once')
    add_flag(
        parser,
        'bench-out',
        help='--bsds-bench: folder for the per-image <id>.json records (reused when the run is '
        "repeated), summary.json and the benchmark's eval_*.txt files",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``dynaseg-miou``: Kim et al.'s best-match mIoU of a folder (tools/calculate_mIOU.py).

    Returns the exit code: 0 ok, 1 unmatched files, 2 bad input.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.bsds_bench:
        return _bsds_bench(parser, args)
    from dynaseg.evaluation.functional.io import LabelMapError
    from dynaseg.evaluation.kim_folder import pair_folders, score_pairs

    dataset = MIOU_DATASETS[args.dataset]
    try:
        paired = pair_folders(args.results_dir, args.ground_truth_dir, dataset)
        unmatched = _unmatched_exit_code(args, paired)
        if unmatched is not None:
            return unmatched
        result = score_pairs(paired.pairs, dataset, args.mode, args.resize_images, args.relabel)
    except (LabelMapError, FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    setting = (
        f'mode {args.mode} ({BSDS_MODES[args.mode]} annotations)'
        if dataset == 'bsd500'
        else '255 ignored'
    )
    print(
        f'Scored {result["num_images"]} images, {result["num_segments"]} ground-truth segments '
        f'({args.dataset}, {setting}, connected-component relabelling '
        f'{"on" if args.relabel else "off"})'
    )
    print(f'Average mIOU: {result["mIoU"]:.6f}')
    return 0


def _unmatched_exit_code(args: argparse.Namespace, paired: Any) -> int | None:
    """Report the files without a counterpart; the exit code when the run must stop, else None."""
    unmatched = False
    for missing, where, what in (
        (paired.missing_ground_truth, f'no ground truth in {args.ground_truth_dir}', 'prediction'),
        (paired.missing_predictions, f'no prediction in {args.results_dir}', 'ground-truth image'),
    ):
        if missing:
            unmatched = True
            print(
                f'{"warning" if args.allow_missing else "error"}: {where} for {len(missing)} '
                f'{what}(s): {name_list(missing)}',
                file=sys.stderr,
            )
    if unmatched and not args.allow_missing:
        print(
            f'error: unmatched files; pass --allow-missing to score the {len(paired.pairs)} '
            'matched image(s) only',
            file=sys.stderr,
        )
        return 1
    if not paired.pairs:
        print('error: no prediction matches a ground-truth file', file=sys.stderr)
        return 2
    return None


def _bsds_bench(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """``dynaseg-miou --bsds-bench``: the whole BSDS500 benchmark of a folder, as a table."""
    if MIOU_DATASETS[args.dataset] != 'bsd500':
        return refuse(parser, '--bsds-bench scores BSDS500 only (--dataset bsds500)')
    from dynaseg.evaluation.bsds_folder import (
        BenchSettings,
        benchmark_pairs,
        format_summary,
        pair_bench_folders,
        save_summary,
    )
    from dynaseg.evaluation.functional.bsds_records import summarise
    from dynaseg.evaluation.functional.io import LabelMapError

    try:
        settings = BenchSettings(
            kind=args.bsds_input,
            thresholds=args.thresholds,
            parts=tuple(dict.fromkeys(args.bench_parts)),
            connectivity=args.connectivity,
            relabel=args.relabel,
            resize=args.resize_images,
        )
        paired = pair_bench_folders(args.results_dir, args.ground_truth_dir, args.bsds_input)
        unmatched = _unmatched_exit_code(args, paired)
        if unmatched is not None:
            return unmatched
        scored: list[dict[str, Any]] = []
        start = time.perf_counter()
        records = benchmark_pairs(
            paired.pairs,
            settings,
            workers=args.workers,
            bench_dir=args.bench_out,
            on_record=scored.append,
        )
        elapsed = time.perf_counter() - start
        summary = summarise(records)
        if args.bench_out:
            save_summary(args.bench_out, summary)
    except (LabelMapError, OSError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(format_summary(summary))
    print(
        f'\nScored {len(scored)} image(s) in {elapsed:.1f} s with {args.workers} worker(s); '
        f'{len(records) - len(scored)} record(s) reused from {args.bench_out}'
        if args.bench_out
        else f'\nScored {len(scored)} image(s) in {elapsed:.1f} s with {args.workers} worker(s)'
    )
    return 0
