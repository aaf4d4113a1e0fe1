"""The command line, in one place: every flag of every tool, and what each command does.

Commands: ``dynaseg-segment`` (= tools/DynaSeg_SCF_BSD_VOC.py, :func:`segment_main`),
``dynaseg-miou`` (= tools/calculate_mIOU.py, :func:`miou_main`), tools/evaluate_config.py and
tools/DynaSeg_COCO.py (:func:`dataset_main`) and tools/train_reference.py
(:func:`train_reference_main`). Options several commands share (device, threads, launcher,
config overrides, data root) are added by one function each, so they read the same everywhere.

The folder tool keeps the authors' flag names (``--nChannel``, ``--maxIter``, ``--minLabels``,
``--lr``, ``--nConv``, ``--visualize``), mapped onto config keys; ``--cfg-options`` is applied
last, so an explicit key always wins.

The library is imported inside the functions that use it: ``--help`` answers without loading
models, and ``dynaseg-miou`` never loads torch.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mmengine.config import DictAction

from dynaseg.evaluation.functional.kim_miou import BSDS_MODES
from dynaseg.evaluation.kim_folder import DATASETS as KIM_DATASETS
from dynaseg.utils.image_io import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    from mmengine.config import Config

#: ``--weighting`` -> the loss weight config, with the paper's default mu.
WEIGHTINGS = {
    'scf': dict(type='SCFWeight', mu=50.0),
    'fsf': dict(type='FSFWeight', mu=15.0),
    'fixed': dict(type='FixedWeight', mu=1.0),
}

# ----------------------------------------------------------------------------- shared options


def add_device_options(parser: argparse.ArgumentParser) -> None:
    """``--device cpu|cuda`` (default cpu) and ``--threads N`` (see :func:`apply_threads`)."""
    parser.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    parser.add_argument('--threads', type=int, help='torch CPU threads per process')


def apply_threads(threads: int | None) -> None:
    """Set torch's CPU threads when ``--threads`` was given."""
    if threads:
        import torch

        torch.set_num_threads(threads)


def add_launcher(parser: argparse.ArgumentParser) -> None:
    """``--launcher none|pytorch|slurm``: how the processes of a distributed run were started."""
    from dynaseg.utils.dist import LAUNCHERS

    parser.add_argument(
        '--launcher',
        choices=LAUNCHERS,
        default='none',
        help='pytorch: under torchrun; slurm: under srun (images split by rank)',
    )


def add_cfg_options(parser: argparse.ArgumentParser, *, applied: str = '') -> None:
    """``--cfg-options key=value ...``, merged into the config (``applied`` says when)."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='config overrides key=value' + (f', applied {applied}' if applied else ''),
    )


def add_batch_size(parser: argparse.ArgumentParser) -> None:
    """``--batch-size N``: same-size images optimised together (the config's ``batch_size``)."""
    parser.add_argument(
        '--batch-size',
        type=int,
        help='most same-size images optimised together, one network each (grouped '
        "convolutions; pays on a GPU). Default: the config's batch_size, 1 (one at a time, "
        'best on a CPU). Scribbles and non-CNN extractors always run one at a time',
    )


def add_data_root(parser: argparse.ArgumentParser) -> None:
    """``--data-root DIR``: the dataset folder, instead of the config's ``data_root``."""
    parser.add_argument('--data-root', help="the dataset folder (replaces the config's data_root)")


# ----------------------------------------------------------------------------- dynaseg-segment


def build_segment_parser() -> argparse.ArgumentParser:
    """``dynaseg-segment`` / ``tools/DynaSeg_SCF_BSD_VOC.py``: segment a folder."""
    from dynaseg.apis.inference import DEFAULT_CONFIG

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
    parser.add_argument(
        '--num-segments',
        type=int,
        help='return exactly K labels per image (model.num_segments): optimise until q <= K, '
        'then merge (or split) labels by response similarity; default: the automatic rule',
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
    add_device_options(parser)
    add_batch_size(parser)
    add_launcher(parser)
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
    add_cfg_options(parser, applied='after the flags above')
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    """The config file with the named flags, then ``--cfg-options``, merged in."""
    from dynaseg.apis.inference import load_config
    from dynaseg.models.segmentors import reference_image_config

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
        'num_segments': ['model.num_segments'],
        'lr': ['model.optimizer.lr'],
        'nConv': ['model.backbone.num_convs'],
        'scribble_weight': ['model.scribble.weight'],
    }
    for flag, keys in flag_keys.items():
        value = getattr(args, flag, None)
        if value is not None:
            options.update(dict.fromkeys(keys, value))
    cfg = load_config(args.config, options)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if getattr(args, 'reference_checkpoint', None):
        cfg.model = reference_image_config(cfg.model, args.reference_checkpoint)
    return cfg


def segment_main(argv: Sequence[str] | None = None) -> int:
    """``dynaseg-segment``: segment a folder; returns the exit code."""
    args = build_segment_parser().parse_args(argv)
    from dynaseg.apis.folder import segment_folder
    from dynaseg.apis.runtime import RunInterrupted, interrupt_on_sigterm
    from dynaseg.utils.dist import finalize_distributed, init_distributed
    from dynaseg.utils.fileio import UnwritableDirectoryError

    try:
        cfg = config_from_args(args)
    except (FileNotFoundError, KeyError, ValueError, SyntaxError) as err:
        print(f'error: bad config {args.config!r}: {type(err).__name__}: {err}', file=sys.stderr)
        return 2
    apply_threads(args.threads)
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
            batch_size=args.batch_size,
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


# ----------------------------------------------------------------------------- datasets


def build_dataset_parser(
    description: str, default_config: str | None = None
) -> argparse.ArgumentParser:
    """``tools/evaluate_config.py`` and ``tools/DynaSeg_COCO.py``: segment and score a dataset."""
    parser = argparse.ArgumentParser(
        description=description
        + (
            ' Writes <work-dir>/preds/<id>.png, preds/records/<id>.json, eval_results.json and '
            'eval_results.pkl; images already segmented are skipped, so rerunning resumes. Exit '
            'code: 0 ok, 1 some image failed (listed), 2 bad arguments/config/data, 130/143 '
            'interrupted.'
        )
    )
    parser.add_argument(
        '--config',
        required=default_config is None,
        default=default_config,
        help='config with model, dataset and evaluator'
        + (f' (default: {default_config})' if default_config else ''),
    )
    parser.add_argument('--work-dir', help='output folder (default: work_dirs/<config stem>)')
    add_data_root(parser)
    add_cfg_options(parser, applied='after --data-root')
    add_launcher(parser)
    add_device_options(parser)
    add_batch_size(parser)
    parser.add_argument(
        '--overwrite', action='store_true', help='redo images whose prediction already exists'
    )
    parser.add_argument(
        '--limit',
        type=int,
        help='segment only the first N present images (0: only score the '
        'predictions already there)',
    )
    return parser


def dataset_main(
    argv: Sequence[str] | None = None, *, description: str, default_config: str | None = None
) -> int:
    """Parse the flags, run :func:`run_dataset`; returns the exit code."""
    args = build_dataset_parser(description, default_config).parse_args(argv)
    from dynaseg.apis.dataset_runner import apply_data_root, run_dataset
    from dynaseg.apis.inference import load_config
    from dynaseg.apis.runtime import RunInterrupted, interrupt_on_sigterm
    from dynaseg.utils.dist import finalize_distributed
    from dynaseg.utils.fileio import UnwritableDirectoryError

    try:
        cfg = apply_data_root(load_config(args.config), args.data_root)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
    except (FileNotFoundError, KeyError, ValueError, SyntaxError) as err:
        print(f'error: bad config {args.config!r}: {type(err).__name__}: {err}', file=sys.stderr)
        return 2
    work_dir = args.work_dir or str(Path('work_dirs') / Path(args.config).stem)
    apply_threads(args.threads)
    restore_sigterm = interrupt_on_sigterm()
    try:
        results = run_dataset(
            cfg,
            work_dir,
            device=args.device,
            launcher=args.launcher,
            overwrite=args.overwrite,
            limit=args.limit,
            batch_size=args.batch_size,
        )
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM as RunInterrupted
        code = err.exit_code if isinstance(err, RunInterrupted) else 130
        print(f'Interrupted; rerun the same command to resume ({work_dir}).', file=sys.stderr)
        return code
    except (FileNotFoundError, UnwritableDirectoryError, ValueError, KeyError) as err:
        # Raised before any image is segmented: a missing list file, data root or evaluator.
        print(f'error: {type(err).__name__}: {err}', file=sys.stderr)
        return 2
    finally:
        restore_sigterm()
        finalize_distributed()
    return int(results['exit_code'])


# ----------------------------------------------------------------------------- reference image


def build_train_reference_parser() -> argparse.ArgumentParser:
    """``tools/train_reference.py``: train the reference-image network over a folder."""
    parser = argparse.ArgumentParser(
        description="Train DynaSeg's reference-image mode: one network over a folder of images."
    )
    parser.add_argument('--config', required=True, help='DynaSeg config (its backbone is trained)')
    parser.add_argument(
        '--train-folder',
        required=True,
        nargs='+',
        help='folder(s) of training images (e.g. BSDS500 train and val; never a test split)',
    )
    parser.add_argument(
        '--out', required=True, help='checkpoint path to write (its run record: <out>.json)'
    )
    parser.add_argument(
        '--save-every', type=int, help='also save the state every N steps (<out stem>_iterN.pth)'
    )
    parser.add_argument('--iters', type=int, default=1000, help='SGD iterations (default 1000)')
    parser.add_argument(
        '--max-pixels',
        type=int,
        help='training size cap per image (default: model.reference.max_pixels)',
    )
    parser.add_argument(
        '--limit', type=int, help='train on an evenly spaced subset of this many images'
    )
    add_device_options(parser)
    add_cfg_options(parser)
    return parser


def train_reference_main(argv: Sequence[str] | None = None) -> int:
    """``tools/train_reference.py``: train the reference-image network; returns the exit code."""
    args = build_train_reference_parser().parse_args(argv)
    from dynaseg.apis.inference import load_config
    from dynaseg.apis.reference_training import train_reference_folder

    apply_threads(args.threads)
    try:
        cfg = load_config(args.config, args.cfg_options)
        train_reference_folder(
            args.train_folder,
            cfg,
            args.out,
            iters=args.iters,
            max_pixels=args.max_pixels,
            limit=args.limit,
            device=args.device,
            save_every=args.save_every,
            command=' '.join(['python', 'tools/train_reference.py', *(argv or sys.argv[1:])]),
        )
    except (FileNotFoundError, NotADirectoryError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    return 0


# ----------------------------------------------------------------------------- dynaseg-miou


def build_miou_parser() -> argparse.ArgumentParser:
    """``dynaseg-miou`` / ``tools/calculate_mIOU.py``: Kim et al.'s mIoU of a folder."""
    parser = argparse.ArgumentParser(
        description="Kim et al.'s best-match segment mIoU of a folder of predicted label maps."
    )
    parser.add_argument(
        '--results_dir',
        required=True,
        help='folder of <id>.png single-channel label maps or <id>.csv (Kim format)',
    )
    parser.add_argument(
        '--ground_truth_dir',
        required=True,
        help='bsd500: <id>.mat (or <id>-<k>.csv); voc: <id>.png object/class labels',
    )
    parser.add_argument('--dataset', choices=KIM_DATASETS, default='bsd500')
    parser.add_argument(
        '--mode',
        type=int,
        choices=sorted(BSDS_MODES),
        default=1,
        help='BSDS500: 1 all annotations, 2 fine (most segments), 3 coarse (fewest)',
    )
    parser.add_argument(
        '--resize_images',
        action='store_true',
        help='nearest-neighbour resize predictions to the ground-truth size',
    )
    parser.add_argument(
        '--no-relabel',
        dest='relabel',
        action='store_false',
        help='score predicted labels as they are, without splitting disconnected '
        'regions into separate segments',
    )
    parser.add_argument(
        '--allow-missing',
        dest='allow_missing',
        action='store_true',
        help='score the matched images even if some prediction or ground truth '
        'has no counterpart (exit code 0)',
    )
    return parser


def miou_main(argv: Sequence[str] | None = None) -> int:
    """``dynaseg-miou``: Kim et al.'s best-match mIoU of a folder (tools/calculate_mIOU.py).

    Returns the exit code: 0 ok, 1 unmatched files, 2 bad input.
    """
    args = build_miou_parser().parse_args(argv)
    from dynaseg.evaluation.functional.io import LabelMapError
    from dynaseg.evaluation.kim_folder import pair_folders, score_pairs

    try:
        paired = pair_folders(args.results_dir, args.ground_truth_dir, args.dataset)
        unmatched = False
        if paired.missing_ground_truth:
            unmatched = True
            print(
                f'{"warning" if args.allow_missing else "error"}: no ground truth in '
                f'{args.ground_truth_dir} for {len(paired.missing_ground_truth)} prediction(s): '
                f'{_name_list(paired.missing_ground_truth)}',
                file=sys.stderr,
            )
        if paired.missing_predictions:
            unmatched = True
            print(
                f'{"warning" if args.allow_missing else "error"}: no prediction in '
                f'{args.results_dir} for {len(paired.missing_predictions)} ground-truth image(s): '
                f'{_name_list(paired.missing_predictions)}',
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
        result = score_pairs(
            paired.pairs, args.dataset, args.mode, args.resize_images, args.relabel
        )
    except (LabelMapError, FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    setting = (
        f'mode {args.mode} ({BSDS_MODES[args.mode]} annotations)'
        if args.dataset == 'bsd500'
        else '255 ignored'
    )
    print(
        f'Scored {result["num_images"]} images, {result["num_segments"]} ground-truth segments '
        f'({args.dataset}, {setting}, connected-component relabelling '
        f'{"on" if args.relabel else "off"})'
    )
    print(f'Average mIOU: {result["mIoU"]:.6f}')
    return 0


def _name_list(ids: Sequence[str], limit: int = 20) -> str:
    shown = ', '.join(ids[:limit])
    return shown + (f' ... and {len(ids) - limit} more' if len(ids) > limit else '')
