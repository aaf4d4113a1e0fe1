"""``dynaseg-segment`` / ``tools/DynaSeg_SCF_BSD_VOC.py``: segment every image of a folder."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dynaseg.utils.image_io import DEFAULT_MAX_PIXELS

from .options import (
    add_batch_size,
    add_cfg_options,
    add_config,
    add_device_options,
    add_flag,
    add_launcher,
    add_setting_flags,
    config_or_refusal,
    escape_unprintable_output,
    load_config_from_args,
    say_interrupted,
    stream_output,
    torch_threads,
)

if TYPE_CHECKING:
    from mmengine.config import Config


def build_parser() -> argparse.ArgumentParser:
    """``dynaseg-segment`` / ``tools/DynaSeg_SCF_BSD_VOC.py``: segment a folder."""
    from dynaseg.apis.inference import DEFAULT_CONFIG
    from dynaseg.apis.runtime import EXIT_OUTPUT_STOPPED
    from dynaseg.apis.summary import EXIT_LEFT_TO_OTHERS

    parser = argparse.ArgumentParser(
        description='DynaSeg unsupervised segmentation of every image in a folder. Writes '
        '<work-dir>/<stem>.png (single-channel label map at the input size), '
        '<work-dir>/vis/<stem>_color.png and <stem>_overlay.jpg (unless --visualize 0), '
        '<work-dir>/records/<stem>.json and, with --save-csv, <work-dir>/<stem>.csv. Images '
        'whose outputs were made from the same input file (size and content) with the same '
        'config are skipped, so an interrupted run resumes when rerun; runs started on the '
        'same folders share the images (claims in <work-dir>/claims).',
        epilog='Exit codes: 0 ok, 1 some images failed (listed), 2 bad arguments or folders '
        '(an output folder that is the input folder by any path, a key this tool does not '
        "read, another config than the folder's), "
        f'{EXIT_OUTPUT_STOPPED} stopped at the first output write error that would repeat (disk '
        f'full, read-only, permission denied; one line names it), {EXIT_LEFT_TO_OTHERS} images '
        'left to live claims of other workers (listed; not all done), 130/143 interrupted.',
    )
    add_flag(parser, 'input-folder', required=True, help='folder of input images')
    add_flag(
        parser,
        'work-dir',
        '--output-folder',
        required=True,
        help='output folder: created if missing; must not be the input folder (by any path)',
    )
    add_config(parser, default=DEFAULT_CONFIG)
    add_setting_flags(parser)
    parser.add_argument(
        '--visualize',
        type=int,
        choices=(0, 1),
        default=1,
        help='1 (default): write colour and overlay images under <work-dir>/vis; '
        '0: label maps and records only. No window is ever opened.',
    )
    add_flag(parser, 'save-csv', action='store_true', help='also write Kim-format CSV label maps')
    cuts = parser.add_mutually_exclusive_group()
    cuts.add_argument(
        '--regions',
        type=int,
        metavar='K',
        help="write the cut of each image's region hierarchy with exactly K connected regions "
        '(unlike --num-segments: K labels, each possibly in many pieces). On a finished folder '
        'the label maps are re-cut from <work-dir>/hierarchies/ without optimising again',
    )
    cuts.add_argument(
        '--level',
        type=float,
        metavar='T',
        help='write the cut of each hierarchy at level T in [0, 1] (every boundary weaker than '
        'T gone); a finished folder is re-cut as with --regions',
    )
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help="redo every image, and make this config the folder's (<work-dir>/config.json)",
    )
    add_flag(
        parser,
        'max-image-pixels',
        type=int,
        default=DEFAULT_MAX_PIXELS,
        help='images with more pixels are reported as failed, not decoded '
        f'(default {DEFAULT_MAX_PIXELS})',
    )
    add_device_options(parser)
    add_batch_size(parser)
    add_launcher(parser)
    add_flag(
        parser,
        'no-progress',
        dest='progress',
        action='store_false',
        help='no progress bar (there is none either when output is not a terminal)',
    )
    parser.add_argument(
        '--scribble',
        action='store_true',
        help='scribble guidance (Kim et al.): each image <stem>.<ext> is guided by '
        '<stem>_scribble.png beside it (or in --scribble-folder): single-channel '
        '8-bit, 255 = no scribble, other values = label (< --channels). '
        '*_scribble.png files are not segmented',
    )
    add_flag(
        parser,
        'scribble-folder',
        help='folder of the <stem>_scribble.png masks (implies --scribble)',
    )
    add_flag(
        parser,
        'reference-checkpoint',
        help='reference-image mode: label each image with one forward pass of '
        'this trained network (tools/train_reference.py) instead of optimising',
    )
    add_flag(
        parser,
        'reference-train-folder',
        help="first train the reference network on this folder's images and "
        'save it to --reference-checkpoint (required), then segment',
    )
    add_flag(
        parser,
        'reference-iters',
        type=int,
        default=1000,
        help='training iterations with --reference-train-folder (default 1000)',
    )
    add_cfg_options(parser, applied='after the flags above')
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    """The config with the named flags, then ``--cfg-options``, merged in (all keys checked)."""
    from dynaseg.apis.overrides import FOLDER_TOOL
    from dynaseg.models.segmentors import reference_image_config

    cfg = load_config_from_args(args, FOLDER_TOOL)
    if getattr(args, 'reference_checkpoint', None):
        cfg.model = reference_image_config(cfg.model, args.reference_checkpoint)
    return cfg


def main(argv: Sequence[str] | None = None) -> int:
    """``dynaseg-segment``: segment a folder; returns the exit code."""
    escape_unprintable_output()
    parser = build_parser()
    args = parser.parse_args(argv)
    stream_output()
    cfg = config_or_refusal(parser, args, config_from_args)
    if cfg is None:
        return 2
    with torch_threads(args.threads, args.device):
        return _segment(args, cfg)


def _segment(args: argparse.Namespace, cfg: Config) -> int:
    from dynaseg.apis.folder import segment_folder
    from dynaseg.apis.runtime import RunInterrupted, RunStopped, interrupt_on_sigterm
    from dynaseg.hierarchy import Cut
    from dynaseg.utils.dist import finalize_distributed, init_distributed
    from dynaseg.utils.fileio import UnwritableDirectoryError

    if args.reference_train_folder is not None:
        code = _train_reference_first(args, cfg)
        if code:
            return code
    dist = init_distributed(args.launcher, args.device)
    restore_sigterm = interrupt_on_sigterm()
    try:
        summary = segment_folder(
            args.input_folder,
            args.work_dir,
            cfg,
            device=args.device,
            overwrite=args.overwrite,
            save_csv=args.save_csv,
            visualize=bool(args.visualize),
            max_image_pixels=args.max_image_pixels,
            rank=dist.rank,
            world_size=dist.world_size,
            progress=args.progress,
            scribble=args.scribble,
            scribble_folder=args.scribble_folder,
            batch_size=args.batch_size,
            cut=Cut(args.regions, args.level),
        )
    except RunInterrupted as err:
        if err.summary is not None:
            print(err.summary.format(interrupted=str(err)), flush=True)
        say_interrupted(args.work_dir)
        return err.exit_code
    except RunStopped as err:  # a full disk, a read-only output...: one line, exit code 3
        print(f'error: {err}', file=sys.stderr)
        return err.exit_code
    except (NotADirectoryError, ValueError, UnwritableDirectoryError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    finally:
        restore_sigterm()
        finalize_distributed()
    if dist.is_main:
        print(summary.format(), flush=True)
        print(f'Outputs in {args.work_dir}')
    return summary.exit_code


def _train_reference_first(args: argparse.Namespace, cfg: Config) -> int:
    """``--reference-train-folder``: train, save to ``--reference-checkpoint``; 0 or exit code 2.

    The config loads that checkpoint (see :func:`config_from_args`), so the folder run is in
    reference-image mode. Training
    happens before any distributed start: run it once, not per rank.
    """
    from dynaseg.apis.reference_training import train_reference_folder

    if not args.reference_checkpoint:
        print(
            'error: --reference-train-folder needs --reference-checkpoint PATH (where the '
            'trained network is saved)',
            file=sys.stderr,
        )
        return 2
    try:
        train_reference_folder(
            args.reference_train_folder,
            cfg,
            args.reference_checkpoint,
            iters=args.reference_iters,
            device=args.device,
            max_image_pixels=args.max_image_pixels,
        )
    except (NotADirectoryError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    return 0  # config_from_args already points the config at the checkpoint just written
