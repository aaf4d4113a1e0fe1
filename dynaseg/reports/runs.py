"""A report's runs: its spec (a config file under ``configs/reports/``), each run's config with
its per-run options, the subset it covers, where it is run and the command that runs it.

A spec lists its runs as ``dict(config=..., options=[...], by_default=True, refined_from='')``:
``options`` are ``--cfg-options`` of that run alone (``model.seed=1`` for a seed run), so a run
that differs from a config only in an option needs no config file of its own. A run's name, which
names its work dir, is the config stem followed by ``_<last key part><value>`` per option
(``..._bsds500`` + ``model.seed=1`` -> ``..._bsds500_seed1``). ``refined_from`` names another run
of the spec whose model is this run's without ``model.refine``: this run is then made from that
run's label maps by ``tools/refine_predictions.py`` (seconds per image) instead of segmenting
every image again, and running it runs its source first.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .provenance import REPO_ROOT, repo_relative

if TYPE_CHECKING:
    from mmengine.config import Config

    from dynaseg.datasets import ListedImageDataset
    from dynaseg.datasets.base import ReportSubset

SPEC_DIR = 'configs/reports'
EVAL_TOOL = 'tools/evaluate_config.py'
REFINE_TOOL = 'tools/refine_predictions.py'
#: Report order of the datasets; each has a ``section-<name>`` block in the template.
DATASETS = ('bsds500', 'voc2012', 'cocostuff27')
_UNSAFE = re.compile(r'[^A-Za-z0-9.+-]+')


def _option_suffix(option: str) -> str:
    key, _, value = option.partition('=')
    return '_' + _UNSAFE.sub('-', key.split('.')[-1] + value)


@dataclass(frozen=True)
class Run:
    """One row of a report: a config on the dataset it names, with its own options."""

    config: str  # relative to the repository root
    options: tuple[str, ...] = ()  # KEY=VALUE, this run's --cfg-options
    by_default: bool = True  # False: too slow for a CPU report; run only when --only names it
    refined_from: str = ''  # the run whose label maps this run's refiners refine ('': none)

    @property
    def name(self) -> str:
        return Path(self.config).stem + ''.join(_option_suffix(o) for o in self.options)

    @cached_property
    def cfg(self) -> Config:
        """The config file with this run's options (no report-wide --cfg-options)."""
        from mmengine.config import Config

        cfg = Config.fromfile(str(REPO_ROOT / self.config))
        if self.options:
            cfg.merge_from_dict(parse_options(self.options))
        return cfg

    @cached_property
    def dataset_class(self) -> type[ListedImageDataset]:
        from dynaseg.registry import DATASETS as REGISTRY
        from dynaseg.utils import register_all_modules

        register_all_modules()
        return REGISTRY.get(self.cfg.dataset.type)

    @property
    def dataset(self) -> str:
        """The dataset's name, as its class declares it (``METAINFO['dataset_name']``)."""
        return self.dataset_class.METAINFO['dataset_name']

    @property
    def folder(self) -> str:
        """The dataset's folder under ``--data-root``: that of the config's ``data_root``."""
        return Path(self.cfg.dataset.data_root).name


def parse_options(options: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` words as mmengine's ``--cfg-options`` reads them."""
    from mmengine.config import DictAction

    pairs = (option.split('=', 1) for option in options)
    return {key: DictAction._parse_iterable(value) for key, value in pairs}


@dataclass(frozen=True)
class ReportSpec:
    """A report: its runs, its template kind and its defaults (``configs/reports/<name>.py``)."""

    name: str
    kind: str  # the template block 'report-<kind>' ('report' for the multi-dataset one)
    title: str  # the page's title
    output: str
    runs: tuple[Run, ...]
    images: int = 10  # BSDS500: the first N sorted test ids (0: all)
    bootstrap: int = 0  # resamples of the intervals (0: none)
    figure_runs: tuple[tuple[str, str], ...] = field(default=())  # (title, run name)
    machine: str = ''  # where its committed results were computed ('': not stated)

    @property
    def is_table(self) -> bool:
        """Whether every run is a BSDS500 test run shown in one table."""
        return self.kind != 'report'


@cache
def report_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in (REPO_ROOT / SPEC_DIR).glob('*.py')))


@cache
def load_spec(name: str) -> ReportSpec:
    """The spec ``configs/reports/<name>.py``."""
    from mmengine.config import Config

    spec = Config.fromfile(str(REPO_ROOT / SPEC_DIR / f'{name}.py'))
    runs = tuple(
        Run(
            r['config'],
            tuple(r.get('options', ())),
            r.get('by_default', True),
            r.get('refined_from', ''),
        )
        for r in spec.runs
    )
    names = {run.name for run in runs}
    for run in runs:
        if run.refined_from and run.refined_from not in names - {run.name}:
            raise SystemExit(
                f'error: {SPEC_DIR}/{name}.py: {run.name} is refined_from {run.refined_from!r}, '
                'which is no other run of the report'
            )
    return ReportSpec(
        name=name,
        kind=spec.kind,
        title=spec.title,
        output=spec.output,
        runs=runs,
        images=spec.get('images', 10),
        bootstrap=spec.get('bootstrap', 0),
        figure_runs=tuple(tuple(f) for f in spec.get('figure_runs', ())),
        machine=spec.get('machine', ''),
    )


def selected_runs(spec: ReportSpec, only: Sequence[str] | None) -> list[Run]:
    """The runs of ``spec`` that ``--only`` names (shell patterns; default: those run by
    default)."""
    if not only:
        return [r for r in spec.runs if r.by_default]
    runs = [r for r in spec.runs if any(fnmatch.fnmatch(r.name, p) or p == r.name for p in only)]
    if not runs:
        raise SystemExit(
            f'error: --only {" ".join(only)} matches none of: '
            + ' '.join(r.name for r in spec.runs)
        )
    return runs


def source_run(run: Run, spec: ReportSpec) -> Run | None:
    """The run of ``spec`` whose label maps ``run`` refines (None: ``run`` segments itself)."""
    return next((r for r in spec.runs if run.refined_from and r.name == run.refined_from), None)


def execution_order(runs: Sequence[Run], spec: ReportSpec) -> list[Run]:
    """``runs`` in order, each refined run preceded by its source (once, selected or not): a
    refined run needs its source's label maps, and a finished source only resumes (skips)."""
    ordered: list[Run] = []
    for run in runs:
        source = source_run(run, spec)
        ordered += [r for r in (source, run) if r is not None and r not in ordered]
    return ordered


def model_config(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    """The run's model config as the runner will see it (its options, then --cfg-options)."""
    cfg = run.cfg.copy()
    model_options = [o for o in args.cfg_options if o.startswith('model.')]
    if model_options:
        cfg.merge_from_dict(parse_options(model_options))
    return cfg.model.to_dict()


def _dataset_folder(data_root: str | Path, folder: str) -> Path:
    """``folder`` under the data root, or the data root itself when it is that dataset's folder:
    ``--data-root`` means what it means in every other tool."""
    from dynaseg.apis.dataset_runner import dataset_folder  # heavy: imported when needed

    return dataset_folder(data_root, folder)


def run_dataset(run: Run, data_root: str | Path, **overrides: Any) -> ListedImageDataset:
    """The run's dataset under ``<data_root>/<folder>``, with ``overrides``, not yet loaded (a
    report describes a run whose dataset is absent too: its subset is then empty)."""
    from dynaseg.registry import DATASETS as REGISTRY
    from dynaseg.utils import register_all_modules

    register_all_modules()
    root = str(_dataset_folder(data_root, run.folder))
    return REGISTRY.build(
        dict(run.cfg.dataset.to_dict(), data_root=root, lazy_init=True, **overrides)
    )


def subset_for(run: Run, args: argparse.Namespace, write: bool = False) -> ReportSubset:
    """The fixed subset every run on ``run``'s dataset uses, as its dataset class defines it."""
    dataset = run_dataset(run, args.data_root)
    try:
        return dataset.report_subset(args.images, args.image_ids, Path(args.work_dir), write)
    except NotImplementedError as err:  # a dataset class no report knows how to subset
        raise SystemExit(f'error: {run.name}: {err}') from None


def run_dirs(args: argparse.Namespace) -> dict[str, str]:
    """``--run-dir NAME=DIR ...`` as a mapping."""
    return {name: path for name, _, path in (item.partition('=') for item in args.run_dir)}


def run_work_dir(run: Run, subset: ReportSubset, args: argparse.Namespace) -> Path:
    """Where ``run`` is run and read: its ``--run-dir``, else ``<work-dir>/<name>/<subset>``."""
    given = run_dirs(args)
    return (
        Path(given[run.name]) if run.name in given else Path(args.work_dir) / run.name / subset.tag
    )


def run_options(args: argparse.Namespace) -> list[str]:
    """``--device`` / ``--threads`` / ``--batch-size`` as reproduce.py and evaluate_config.py
    both take them."""
    options = ['--device', args.device] if args.device != 'cpu' else []
    options += ['--threads', str(args.threads)] if args.threads else []
    return options + (['--batch-size', str(args.batch_size)] if args.batch_size else [])


def data_root_option(run: Run, args: argparse.Namespace) -> list[str]:
    """``--data-root <the run's dataset folder>`` when reproduce.py was given ``--data-root``;
    without it none, so that every tool resolves the same default (``$DYNASEG_DATA_ROOT``, else
    the configs' ``data/``) and no report prints a path of the machine it was made on."""
    if not args.data_root_given:
        return []
    return ['--data-root', repo_relative(_dataset_folder(args.data_root, run.folder))]


def command_for(
    run: Run, subset: ReportSubset, args: argparse.Namespace, score_only: bool = False
) -> list[str]:
    """The command of one run, to run from the repository root (what is executed and, through
    :func:`~.provenance.shell_line`, what is reported): tools/evaluate_config.py, or for a run
    ``refined_from`` another tools/refine_predictions.py on that run's work dir, which refines
    and then scores. ``score_only`` is evaluate_config.py with ``--limit 0``: score the
    predictions present, segment nothing."""
    work_dir = ['--work-dir', repo_relative(run_work_dir(run, subset, args))]
    source = None if score_only else source_run(run, args.spec)
    if source is None:
        command = ['python', EVAL_TOOL, '--config', run.config, *data_root_option(run, args)]
        command += work_dir + run_options(args)
    else:
        source_dir = repo_relative(run_work_dir(source, subset, args))
        command = ['python', REFINE_TOOL, '--config', run.config, '--source', source_dir]
        command += data_root_option(run, args) + work_dir
    if score_only:
        command += ['--limit', '0']
    words = [*subset.options.items(), *(o.split('=', 1) for o in (*run.options, *args.cfg_options))]
    options = dict(words)
    if options:
        command += ['--cfg-options', *(f'{k}={v}' for k, v in options.items())]
    return command
