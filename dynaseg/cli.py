"""The command line, in one place: every flag of every tool, and what each command does.

Commands: ``dynaseg-segment`` (= tools/DynaSeg_SCF_BSD_VOC.py, :func:`segment_main`),
``dynaseg-miou`` (= tools/calculate_mIOU.py, :func:`miou_main`), ``dynaseg-evaluate``
(= tools/evaluate_config.py) and tools/DynaSeg_COCO.py (:func:`dataset_main`) and
tools/train_reference.py (:func:`train_reference_main`).

One vocabulary across the tools: every option is added by one function, so an option spelt the
same way means the same thing everywhere.

- Names are hyphenated (``--input-folder``); the underscore spelling is an alias
  (``--input_folder``), and so are the authors' flags (``--nChannel``, ``--nConv``,
  ``--maxIter``, ``--minLabels``).
- ``--work-dir``: the output folder of every tool (``--output-folder`` is an alias);
  ``--out``: an output file; ``--images N``: how many images; ``--image-ids ID ...``: which.
- ``--config``: a config file, or a config's name from any working folder
  (:func:`~dynaseg.apis.inference.resolve_config`); ``--list-configs`` lists them.
- ``--data-root``: the folder that holds the datasets' folders (``bsds500/``, ``voc2012/``,
  ``cocostuff/``), ``data/`` by default (:func:`add_data_root`); ``--split``: the dataset's
  split (:func:`add_split`).
- Every tool that takes a config defaults to :data:`~dynaseg.apis.inference.DEFAULT_CONFIG`
  (the COCO tool to its COCO-Stuff-27 config), and streams its progress line by line
  (:func:`stream_output`).
- The common settings have named flags (``--seed``, ``--num-segments``, ``--max-iters``, ...)
  from the table of plain names :data:`~dynaseg.apis.overrides.KEYWORDS` that
  ``segment_image(**kwargs)`` also reads; ``--cfg-options`` is applied after them, so an
  explicit key wins. Every key is checked: a misspelt one is refused in one line naming the
  closest valid key, exit code 2 (:mod:`dynaseg.apis.overrides`).

The library is imported inside the functions that use it: ``--help`` answers without loading
models, and ``dynaseg-miou`` never loads torch.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmengine.config import DictAction

from dynaseg.evaluation.functional.bsds_records import INPUT_KINDS
from dynaseg.evaluation.functional.kim_miou import BSDS_MODES
from dynaseg.evaluation.functional.ucm import DEFAULT_NUM_THRESHOLDS
from dynaseg.utils.image_io import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    from mmengine.config import Config

# ----------------------------------------------------------------------------- shared options


def add_flag(parser: argparse.ArgumentParser, name: str, *aliases: str, **kwargs: Any) -> None:
    """Add ``--<name>`` (hyphenated) and its ``aliases``, each in both spellings: hyphens and
    underscores (``--input-folder``, ``--input_folder``); camelCase aliases (the authors'
    ``--nChannel``) are taken as they are.

    ``name`` may be given either way; the value lands in ``args.<name with underscores>``.
    """
    strings = []
    for word in (name.strip('-'), *(alias.strip('-') for alias in aliases)):
        if word.lower() == word:
            strings += ['--' + word.replace('_', '-'), '--' + word.replace('-', '_')]
        else:
            strings.append('--' + word)
    kwargs.setdefault('dest', name.strip('-').replace('-', '_'))
    parser.add_argument(*dict.fromkeys(strings), **kwargs)


def escape_unprintable_output() -> None:
    """Print what a stream cannot encode as escapes (a file name that is not UTF-8 on a strict
    UTF-8 or ASCII terminal) instead of raising in the middle of a run."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, 'reconfigure', None)
        if reconfigure is not None:
            reconfigure(errors='backslashreplace')


def refuse(parser: argparse.ArgumentParser, message: str) -> int:
    """Report a bad argument the way argparse does, in one line (no usage, no traceback);
    returns the exit code for bad arguments, 2."""
    print(f'{parser.prog}: error: {message}', file=sys.stderr)
    return 2


def add_device_options(parser: argparse.ArgumentParser) -> None:
    """``--device cpu|cuda`` (default cpu) and ``--threads N`` (see :func:`torch_threads`)."""
    parser.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    parser.add_argument(
        '--threads',
        type=int,
        help="torch CPU threads of this process (default: torch's, one per core). On a "
        'machine other jobs keep busy, fewer threads run faster (--threads 1 was 2.5 times '
        'faster beside one other job on 2 cores); a note says so when the CPUs look busy',
    )


def busy_cpu_note(threads: int) -> str | None:
    """A one-line hint when ``threads`` torch threads would share the CPUs with other work."""
    try:
        load = os.getloadavg()[0]  # runnable processes, averaged over the last minute
    except (AttributeError, OSError):  # not on every platform
        return None
    cores = os.cpu_count() or 1
    if threads <= 1 or load + threads <= cores + 0.5:
        return None
    return (
        f'note: the CPUs are busy (load {load:.1f} on {cores} cores) and torch would use '
        f'{threads} threads; --threads 1 (or fewer) may run faster'
    )


@contextlib.contextmanager
def torch_threads(threads: int | None, device: str = 'cpu') -> Iterator[None]:
    """Run the body with ``threads`` torch CPU threads, restoring the previous count after.

    The count is process-global: without the restore, calling one tool's ``main`` from Python
    (tests, notebooks) would change every later computation. Without ``threads`` on the CPU,
    :func:`busy_cpu_note` is printed if the CPUs look busy.
    """
    import torch

    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    elif device == 'cpu':
        note = busy_cpu_note(previous)
        if note:
            print(note, file=sys.stderr)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


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
    add_flag(
        parser,
        'cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='config overrides key=value'
        + (f', applied {applied}' if applied else '')
        + '; unknown keys are refused, naming the closest valid one',
    )


def add_batch_size(parser: argparse.ArgumentParser) -> None:
    """``--batch-size N``: same-size images optimised together (the config's ``batch_size``)."""
    add_flag(
        parser,
        'batch-size',
        type=int,
        help='most same-size images optimised together, one network each (grouped '
        "convolutions; pays on a GPU). Default: the config's batch_size, 1 (one at a time, "
        'best on a CPU). Scribbles and non-CNN extractors always run one at a time',
    )


def add_data_root(parser: argparse.ArgumentParser, *, fallback: str | None = None) -> None:
    """``--data-root DIR``: the folder holding the datasets' folders, the same in every tool.

    Default: ``$DYNASEG_DATA_ROOT`` if set, else ``fallback`` (None: the config's own
    ``data_root``, ``data/<dataset>`` in every shipped config). A tool that runs one config
    points its dataset at ``DIR/<dataset>`` with
    :func:`~dynaseg.apis.dataset_runner.apply_data_root`; one that reads several datasets
    finds each with :func:`~dynaseg.apis.dataset_runner.dataset_folder`.
    """
    from dynaseg.apis.dataset_runner import DATA_ROOT_ENV, DEFAULT_DATA_ROOT

    add_flag(
        parser,
        'data-root',
        default=os.environ.get(DATA_ROOT_ENV) or fallback,
        metavar='DIR',
        help='the folder holding the datasets: bsds500/, voc2012/, cocostuff/ (a dataset '
        f'folder itself is accepted too). Default: ${DATA_ROOT_ENV} if set, else '
        f"{DEFAULT_DATA_ROOT}/ (the configs' data_root). --cfg-options data_root=DIR/<dataset> "
        'names one dataset folder instead',
    )


class _ListConfigs(argparse.Action):
    """``--list-configs``: print every config name and its file, then exit 0."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.update(nargs=0, default=argparse.SUPPRESS)
        super().__init__(option_strings, argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from dynaseg.apis.inference import config_root, list_configs

        root = config_root()
        for path in list_configs():
            print(f'{Path(path).stem:55s} {root / path}')
        parser.exit()


def add_config(
    parser: argparse.ArgumentParser, *, default: str | Path | None = None, what: str = ''
) -> None:
    """``--config FILE|NAME`` (required without a ``default``) and ``--list-configs``."""
    help_text = 'config file, or its name from any folder (e.g. dynaseg-fsf_cnn-m2_fast_bsds500)'
    if what:
        help_text += f'; {what}'
    if default is not None:
        help_text += f'. Default: {Path(default).stem}'
    parser.add_argument(
        '--config',
        required=default is None,
        default=None if default is None else str(default),
        help=help_text,
    )
    add_flag(
        parser,
        'list-configs',
        action=_ListConfigs,
        help='list the config names and files, then exit',
    )


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """The named flags of the common settings, one per plain name of
    :data:`~dynaseg.apis.overrides.KEYWORDS` (``--num-segments``, ``--max-iters`` alias
    ``--maxIter``, ...); :func:`setting_options` turns them into config overrides."""
    from dynaseg.apis.overrides import KEYWORDS

    for name, keyword in KEYWORDS.items():
        add_flag(
            parser,
            name,
            *keyword.aliases,
            type=keyword.type,
            choices=keyword.choices,
            help=f"{keyword.help} ({', '.join(keyword.keys)}; default: the config's)",
        )


def setting_options(args: argparse.Namespace) -> dict[str, Any]:
    """The config overrides of the named setting flags that were given."""
    from dynaseg.apis.overrides import KEYWORDS, keyword_options

    return keyword_options({name: getattr(args, name, None) for name in KEYWORDS})


def add_split(parser: argparse.ArgumentParser) -> None:
    """``--split NAME``: the dataset split a tool runs on, the same option in every tool that
    has splits (``tools/tune.py`` too)."""
    add_flag(
        parser,
        'split',
        metavar='NAME',
        help="the dataset's split (BSDS500: train, val, test; VOC2012: val; COCO-Stuff-27: "
        "val2017). Default: the config's (dataset.split)",
    )


def stream_output() -> None:
    """Flush stdout at every line, so progress reaches a pipe or a log file as it happens, the
    same way from every tool (a pipe's output is otherwise held back until the end)."""
    reconfigure = getattr(sys.stdout, 'reconfigure', None)
    if reconfigure is not None:
        reconfigure(line_buffering=True)


def load_config_from_args(args: argparse.Namespace, tool: str | None = None) -> Config:
    """``--config``, then ``--data-root`` and ``--split`` (if the parser has them), the named
    setting flags and ``--cfg-options``, in that order; each override checked (an unknown key,
    or with ``tool`` a key that tool does not read, raises
    :class:`~dynaseg.apis.overrides.UnknownConfigKeyError`)."""
    from dynaseg.apis.dataset_runner import apply_data_root, apply_split
    from dynaseg.apis.inference import load_config
    from dynaseg.apis.overrides import apply_overrides

    cfg = load_config(args.config)
    if getattr(args, 'data_root', None) is not None and 'dataset' in cfg:
        apply_data_root(cfg, args.data_root)
    if getattr(args, 'split', None) is not None and 'dataset' in cfg:
        apply_split(cfg, args.split)
    apply_overrides(cfg, setting_options(args), tool)
    return apply_overrides(cfg, args.cfg_options, tool)


def bad_config_message(args: argparse.Namespace, err: Exception) -> str:
    """One line for a config that cannot be loaded or overridden."""
    from dynaseg.apis.overrides import UnknownConfigKeyError

    if isinstance(err, (UnknownConfigKeyError, FileNotFoundError)):
        return str(err)
    return f'bad config {args.config!r}: {type(err).__name__}: {err}'


# ----------------------------------------------------------------------------- dynaseg-segment


def build_segment_parser() -> argparse.ArgumentParser:
    """``dynaseg-segment`` / ``tools/DynaSeg_SCF_BSD_VOC.py``: segment a folder."""
    from dynaseg.apis.inference import DEFAULT_CONFIG
    from dynaseg.apis.runtime import EXIT_LEFT_TO_OTHERS, EXIT_OUTPUT_STOPPED

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


def segment_main(argv: Sequence[str] | None = None) -> int:
    """``dynaseg-segment``: segment a folder; returns the exit code."""
    escape_unprintable_output()
    parser = build_segment_parser()
    args = parser.parse_args(argv)
    stream_output()
    try:
        cfg = config_from_args(args)
    except (FileNotFoundError, KeyError, ValueError, SyntaxError) as err:
        return refuse(parser, bad_config_message(args, err))
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
        print(
            f'Interrupted; rerun the same command to resume ({args.work_dir}).',
            file=sys.stderr,
        )
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


# ----------------------------------------------------------------------------- datasets


def add_image_selection(parser: argparse.ArgumentParser, *, count_help: str) -> None:
    """``--images N`` (how many) and ``--image-ids ID ...`` (which), the same in every tool."""
    add_flag(parser, 'images', '--limit', type=int, metavar='N', help=count_help)
    add_flag(
        parser,
        'image-ids',
        nargs='+',
        metavar='ID',
        help='only these images (ids as the dataset lists them, e.g. 100007)',
    )


def build_dataset_parser(
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
    parser = build_dataset_parser(description, default_config)
    args = parser.parse_args(argv)
    stream_output()
    try:
        cfg = load_config_from_args(args)
    except (FileNotFoundError, KeyError, ValueError, SyntaxError) as err:
        return refuse(parser, bad_config_message(args, err))
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
        print(f'Interrupted; rerun the same command to resume ({work_dir}).', file=sys.stderr)
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


#: tools/DynaSeg_COCO.py's config, by name.
COCO_CONFIG = 'dynaseg-fsf_cnn-m3_fast_coco-stuff27'


def evaluate_main(argv: Sequence[str] | None = None) -> int:
    """``dynaseg-evaluate`` / ``tools/evaluate_config.py``: any config's dataset, the default
    config's (BSDS500 test) when ``--config`` is not given, as in every other tool."""
    from dynaseg.apis.inference import DEFAULT_CONFIG

    return dataset_main(
        argv,
        description="Segment every image of a config's dataset and score it with the config's "
        'evaluator.',
        default_config=DEFAULT_CONFIG,
    )


def coco_main(argv: Sequence[str] | None = None) -> int:
    """``tools/DynaSeg_COCO.py``: COCO-Stuff-27 with :data:`COCO_CONFIG` by default."""
    return dataset_main(
        argv,
        description='DynaSeg on COCO-Stuff-27: segment every curated image, then score '
        'protocols (a), (b) and (c).',
        default_config=COCO_CONFIG,
    )


# ----------------------------------------------------------------------------- reference image


def build_train_reference_parser() -> argparse.ArgumentParser:
    """``tools/train_reference.py``: train the reference-image network over a folder."""
    parser = argparse.ArgumentParser(
        description="Train DynaSeg's reference-image mode: one network over a folder of images."
    )
    add_config(parser, what='a DynaSeg config (its backbone is trained)')
    add_flag(
        parser,
        'train-folder',
        required=True,
        nargs='+',
        help='folder(s) of training images (e.g. BSDS500 train and val; never a test split)',
    )
    parser.add_argument(
        '--out', required=True, help='checkpoint path to write (its run record: <out>.json)'
    )
    add_flag(
        parser,
        'save-every',
        type=int,
        help='also save the state every N steps (<out stem>_iterN.pth)',
    )
    parser.add_argument('--iters', type=int, default=1000, help='SGD iterations (default 1000)')
    add_flag(
        parser,
        'max-pixels',
        type=int,
        help='training size cap per image (default: model.reference.max_pixels)',
    )
    add_flag(
        parser,
        'images',
        '--limit',
        type=int,
        metavar='N',
        help='train on an evenly spaced subset of N images',
    )
    add_device_options(parser)
    add_cfg_options(parser)
    return parser


def train_reference_main(argv: Sequence[str] | None = None) -> int:
    """``tools/train_reference.py``: train the reference-image network; returns the exit code."""
    parser = build_train_reference_parser()
    args = parser.parse_args(argv)
    from dynaseg.apis.inference import load_config
    from dynaseg.apis.reference_training import train_reference_folder

    try:
        cfg = load_config(args.config, args.cfg_options)
    except (FileNotFoundError, KeyError, ValueError, SyntaxError) as err:
        return refuse(parser, bad_config_message(args, err))
    with torch_threads(args.threads, args.device):
        try:
            train_reference_folder(
                args.train_folder,
                cfg,
                args.out,
                iters=args.iters,
                max_pixels=args.max_pixels,
                limit=args.images,
                device=args.device,
                save_every=args.save_every,
                command=' '.join(['python', 'tools/train_reference.py', *(argv or sys.argv[1:])]),
            )
        except (FileNotFoundError, NotADirectoryError, ValueError) as err:
            print(f'error: {err}', file=sys.stderr)
            return 2
    return 0


# ----------------------------------------------------------------------------- dynaseg-miou


#: ``--dataset`` of ``dynaseg-miou``: the project's dataset folder names, and the scorer's name
#: for each (``bsd500``, the authors' spelling, stays accepted).
MIOU_DATASETS = {'bsds500': 'bsd500', 'bsd500': 'bsd500', 'voc2012': 'voc', 'voc': 'voc'}


def build_miou_parser() -> argparse.ArgumentParser:
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


def miou_main(argv: Sequence[str] | None = None) -> int:
    """``dynaseg-miou``: Kim et al.'s best-match mIoU of a folder (tools/calculate_mIOU.py).

    Returns the exit code: 0 ok, 1 unmatched files, 2 bad input.
    """
    parser = build_miou_parser()
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
                f'{what}(s): {_name_list(missing)}',
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


def _name_list(ids: Sequence[str], limit: int = 20) -> str:
    shown = ', '.join(ids[:limit])
    return shown + (f' ... and {len(ids) - limit} more' if len(ids) > limit else '')
