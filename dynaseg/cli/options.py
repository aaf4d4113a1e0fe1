"""The vocabulary every command shares: each option is added by one function here, so an option
spelt the same way means the same thing in every tool (:mod:`dynaseg.cli`).

- Names are hyphenated (``--input-folder``); the underscore spelling is an alias
  (``--input_folder``), and so are the authors' flags (``--nChannel``, ``--nConv``,
  ``--maxIter``, ``--minLabels``): :func:`add_flag`.
- ``--work-dir``: the output folder of every tool (``--output-folder`` is an alias);
  ``--out``: an output file; ``--images N``: how many images; ``--image-ids ID ...``: which
  (:func:`add_image_selection`).
- ``--config``: a config file, or a config's name from any working folder
  (:func:`~dynaseg.apis.inference.resolve_config`); ``--list-configs`` lists them
  (:func:`add_config`).
- ``--data-root``: the folder that holds the datasets' folders (``bsds500/``, ``voc2012/``,
  ``cocostuff/``), ``data/`` by default (:func:`add_data_root`); ``--split``: the dataset's
  split (:func:`add_split`).
- The common settings have named flags (``--seed``, ``--num-segments``, ``--max-iters``, ...)
  from the table of plain names :data:`~dynaseg.apis.overrides.KEYWORDS` that
  ``segment_image(**kwargs)`` also reads (:func:`add_setting_flags`); ``--cfg-options`` is
  applied after them, so an explicit key wins. Every key is checked: a misspelt one is refused
  in one line naming the closest valid key, exit code 2 (:func:`load_config_from_args`).
- ``--device`` and ``--threads`` (:func:`add_device_options`, :func:`torch_threads`),
  ``--launcher`` (:func:`add_launcher`), ``--batch-size`` (:func:`add_batch_size`).
- Progress streams line by line from every tool (:func:`stream_output`); a bad argument is
  refused in one line, exit code 2 (:func:`refuse`).

The library is imported inside the functions that use it: ``--help`` answers without loading
models, and ``dynaseg-miou`` never loads torch.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmengine.config import DictAction

if TYPE_CHECKING:
    from mmengine.config import Config


def add_flag(parser: argparse._ActionsContainer, name: str, *aliases: str, **kwargs: Any) -> None:
    """Add ``--<name>`` (hyphenated) and its ``aliases``, each in both spellings: hyphens and
    underscores (``--input-folder``, ``--input_folder``); camelCase aliases (the authors'
    ``--nChannel``) are taken as they are. ``parser`` may be a parser or a group of one.

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


def say_interrupted(work_dir: str | os.PathLike[str]) -> None:
    """The one line every resumable command prints when Ctrl-C or SIGTERM stops it."""
    print(f'Interrupted; rerun the same command to resume ({work_dir}).', file=sys.stderr)


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


def add_split(
    parser: argparse.ArgumentParser, *, default: str | None = None, required: str = ''
) -> None:
    """``--split NAME``: the dataset split a tool runs on, the same option in every tool that
    has splits; without a ``default``, the config's. ``required``: why the tool needs it
    (the tuning tool: so that nothing is tuned on test by accident)."""
    add_flag(
        parser,
        'split',
        metavar='NAME',
        default=default,
        required=bool(required),
        help="the dataset's split (BSDS500: train, val, test; VOC2012: val; COCO-Stuff-27: "
        'val2017). ' + (required or 'Default: ' + (default or "the config's (dataset.split)")),
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


def config_or_refusal(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    load: Callable[[argparse.Namespace], Config] | None = None,
) -> Config | None:
    """The config of the parsed ``args`` (``load``: :func:`load_config_from_args`), or None
    after refusing it in one line (:func:`bad_config_message`): the command then exits with
    code 2, before any work."""
    try:
        return (load or load_config_from_args)(args)
    except (FileNotFoundError, KeyError, ValueError, SyntaxError) as err:
        refuse(parser, bad_config_message(args, err))
        return None


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


def name_list(names: Sequence[str], limit: int = 20) -> str:
    """``names`` comma-separated, the first ``limit`` of them and how many more."""
    shown = ', '.join(names[:limit])
    return shown + (f' ... and {len(names) - limit} more' if len(names) > limit else '')
