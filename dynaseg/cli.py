"""Console entry points: ``dynaseg-segment`` (= tools/DynaSeg_SCF_BSD_VOC.py) and ``dynaseg-miou``.

The authors' flag names (``--nChannel``, ``--maxIter``, ``--minLabels``, ``--lr``, ``--nConv``,
``--visualize``) are kept and mapped onto config keys; ``--cfg-options`` is applied last, so an
explicit key always wins.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mmengine.config import Config, DictAction

from dynaseg.apis.folder import RunInterrupted, interrupt_on_sigterm, segment_folder
from dynaseg.apis.inference import DEFAULT_CONFIG, load_config
from dynaseg.utils.dist import LAUNCHERS, finalize_distributed, init_distributed
from dynaseg.utils.fileio import UnwritableDirectoryError
from dynaseg.utils.image_io import DEFAULT_MAX_PIXELS

#: ``--weighting`` -> the loss weight config, with the paper's default mu.
WEIGHTINGS = {
    'scf': dict(type='SCFWeight', mu=50.0),
    'fsf': dict(type='FSFWeight', mu=15.0),
    'fixed': dict(type='FixedWeight', mu=1.0),
}


def build_segment_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='DynaSeg unsupervised segmentation of every image in a folder. Writes '
        '<out>/<stem>.png (single-channel label map at the input size), '
        '<out>/vis/<stem>_color.png and <stem>_overlay.jpg (unless --visualize 0), '
        '<out>/records/<stem>.json and, with --save-csv, <out>/<stem>.csv. Images whose '
        'label map exists are skipped, so an interrupted run resumes when rerun. Exit code: '
        '0 ok, 1 some images failed (listed), 2 bad arguments or folders, 130/143 interrupted.'
    )
    parser.add_argument('--input_folder', required=True, help='folder of input images')
    parser.add_argument(
        '--output_folder',
        required=True,
        help='created if missing; must differ from the input folder',
    )
    parser.add_argument(
        '--config',
        default=str(DEFAULT_CONFIG),
        help='config file (default: DynaSeg-SCF, CNN M=2, fast schedule)',
    )
    parser.add_argument(
        '--weighting',
        choices=sorted(WEIGHTINGS),
        help='loss weighting: scf (mu/q, mu 50), fsf (q/mu, mu 15), '
        "fixed (mu, Kim et al., mu 1); default: the config's",
    )
    parser.add_argument('--mu', type=float, help='mu of the weighting')
    parser.add_argument('--seed', type=int, help='initialisation seed (model.seed)')
    parser.add_argument(
        '--nChannel', type=int, help='feature channels p and response channels q_max (backbone)'
    )
    parser.add_argument('--maxIter', type=int, help='iteration budget (model.schedule.max_iters)')
    parser.add_argument(
        '--minLabels', type=int, help='stop once this few labels remain (model.schedule.min_labels)'
    )
    parser.add_argument('--lr', type=float, help='SGD learning rate (model.optimizer.lr)')
    parser.add_argument('--nConv', type=int, help='conv blocks M (model.backbone.num_convs)')
    parser.add_argument(
        '--visualize',
        type=int,
        choices=(0, 1),
        default=1,
        help='1 (default): write colour and overlay images under <out>/vis; '
        '0: label maps and records only. No window is ever opened.',
    )
    parser.add_argument(
        '--save-csv', action='store_true', help='also write Kim-format CSV label maps'
    )
    parser.add_argument(
        '--overwrite', action='store_true', help='redo images whose label map already exists'
    )
    parser.add_argument(
        '--max-image-pixels',
        type=int,
        default=DEFAULT_MAX_PIXELS,
        help='images with more pixels are reported as failed, not decoded',
    )
    parser.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    parser.add_argument('--threads', type=int, help='torch CPU threads per process')
    parser.add_argument(
        '--launcher',
        choices=LAUNCHERS,
        default='none',
        help='pytorch: under torchrun; slurm: under srun (images split by rank)',
    )
    parser.add_argument(
        '--no-progress', dest='progress', action='store_false', help='no progress bar'
    )
    parser.add_argument(
        '--scribble',
        action='store_true',
        help='scribble guidance (Kim et al.): each image <stem>.<ext> is guided by '
        '<stem>_scribble.png beside it (or in --scribble_folder): single-channel '
        '8-bit, 255 = no scribble, other values = label (< --nChannel). '
        '*_scribble.png files are not segmented',
    )
    parser.add_argument(
        '--scribble_folder',
        '--scribble-folder',
        dest='scribble_folder',
        help='folder of the <stem>_scribble.png masks (implies --scribble)',
    )
    parser.add_argument(
        '--scribble-weight',
        type=float,
        help='factor on the scribble cross-entropy (model.scribble.weight, 0.5)',
    )
    parser.add_argument(
        '--reference-checkpoint',
        help='reference-image mode: label each image with one forward pass of '
        'this trained network (tools/train_reference.py) instead of optimising',
    )
    parser.add_argument(
        '--reference-train-folder',
        help="first train the reference network on this folder's images and "
        'save it to --reference-checkpoint (required), then segment',
    )
    parser.add_argument(
        '--reference-iters',
        type=int,
        default=1000,
        help='training iterations with --reference-train-folder (default 1000)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='config overrides key=value, applied after the flags above',
    )
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    """The config file with the named flags, then ``--cfg-options``, merged in."""
    options: dict = {}
    if args.weighting is not None:
        # _delete_ replaces the weight dict, so no key of another weighting class survives.
        options['model.loss.weight'] = dict(WEIGHTINGS[args.weighting], _delete_=True)
    if args.mu is not None:
        options['model.loss.weight.mu'] = args.mu
    flag_keys = {
        'seed': ['model.seed'],
        'nChannel': ['model.backbone.channels', 'model.backbone.out_channels'],
        'maxIter': ['model.schedule.max_iters'],
        'minLabels': ['model.schedule.min_labels'],
        'lr': ['model.optimizer.lr'],
        'nConv': ['model.backbone.num_convs'],
        'scribble_weight': ['model.scribble.weight'],
        'reference_checkpoint': ['model.reference.checkpoint'],
    }
    for flag, keys in flag_keys.items():
        value = getattr(args, flag, None)
        if value is not None:
            options.update(dict.fromkeys(keys, value))
    cfg = load_config(args.config, options)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def segment_main(argv: Sequence[str] | None = None) -> int:
    """``dynaseg-segment``: segment a folder; returns the exit code."""
    args = build_segment_parser().parse_args(argv)
    try:
        cfg = config_from_args(args)
    except (FileNotFoundError, KeyError, ValueError, SyntaxError) as err:
        print(f'error: bad config {args.config!r}: {type(err).__name__}: {err}', file=sys.stderr)
        return 2
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.reference_train_folder is not None:
        code = _train_reference_first(args, cfg)
        if code:
            return code
    dist = init_distributed(args.launcher, args.device)
    restore_sigterm = interrupt_on_sigterm()
    try:
        summary = segment_folder(
            args.input_folder,
            args.output_folder,
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
        )
    except RunInterrupted as err:
        if err.summary is not None:
            print(err.summary.format(interrupted=str(err)), flush=True)
        print(
            f'Interrupted; rerun the same command to resume ({args.output_folder}).',
            file=sys.stderr,
        )
        return err.exit_code
    except (NotADirectoryError, ValueError, UnwritableDirectoryError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    finally:
        restore_sigterm()
        finalize_distributed()
    if dist.is_main:
        print(summary.format(), flush=True)
        print(f'Outputs in {args.output_folder}')
    return summary.exit_code


def _train_reference_first(args: argparse.Namespace, cfg: Config) -> int:
    """``--reference-train-folder``: train, save to ``--reference-checkpoint``; 0 or exit code 2.

    The config then loads that checkpoint, so the folder run is in reference mode. Training
    happens before any distributed start: run it once, not per rank.
    """
    from dynaseg.apis.folder import train_reference_folder

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
    cfg.model.reference = dict(cfg.model.get('reference', {}), checkpoint=args.reference_checkpoint)
    return 0


def miou_main(argv: Sequence[str] | None = None) -> int:
    """``dynaseg-miou``: Kim et al.'s best-match mIoU of a folder (tools/calculate_mIOU.py)."""
    from dynaseg.evaluation.kim_folder import main

    return main(argv)
