"""Reproduction report: run every config, tabulate its eval_results.json, draw the figures.

    python tools/reproduce.py --data-root /path/to/data [--work-dir work_dirs/reproduce] \\
        [--images N | --ids ID ...] [--only PATTERN ...] [--threads N] \\
        [--dry-run | --table-only | --figures-only]

``--data-root`` holds ``bsds500/``, ``voc2012/`` and ``cocostuff/``. Each (config, subset) pair is
one :mod:`tools/evaluate_config.py <dynaseg.apis.dataset_runner>` run in its own work dir,
``<work-dir>/<config stem>/<subset>``; rerunning resumes (images already segmented are skipped,
then everything present is re-scored). Then ``docs/results.md`` is written from the
``eval_results.json`` files found (a run without one is listed as "not run" with its command)
and the figures are drawn from the label maps and records those runs wrote.

``--score-only`` scores what has been segmented so far (a run cut short is reported as partial).

The report's prose is the Markdown template ``docs/templates/results.md.in``; its row labels
(weighting and mu, extractor, Silhouette phase, schedule) are read from each run's config, and
each subset is listed by the config's own dataset class. Every command runs from the repository
root, and every path the report prints is relative to it: a report holds no absolute path.

Subsets, fixed before any result exists: BSDS500 test, the first N ids of its sorted list (or
the ids given); VOC2012, the ``val_with_images`` list (the val images whose JPEG is present);
COCO-Stuff-27, a list of the val2017 images present with their labels, generated into the work dir.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import math
import os
import pickle
import platform
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmengine.config import Config

    from dynaseg.datasets import ListedImageDataset

REPO_ROOT = Path(__file__).resolve().parents[1]
EVAL_TOOL = 'tools/evaluate_config.py'
RESULTS_JSON = 'eval_results.json'
DEFAULT_OUTPUT = 'docs/results.md'
#: The reports --report chooses between, and where each is written by default.
REPORT_OUTPUTS = {
    'results': DEFAULT_OUTPUT,
    'warm-start': 'docs/results_warm_start.md',
    'default': 'docs/results_default.md',
}
#: The reports whose runs are BSDS500 test runs shown in one table (all 200 images by default).
TABLE_REPORTS = ('warm-start', 'default')
TEMPLATE = 'docs/templates/results.md.in'

#: The configs of the default report, in table order (grouped by dataset when rendered).
DEFAULT_CONFIGS = (
    'configs/kim/kim-fixed_cnn-m2_fast_bsds500.py',
    'configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500.py',
    'configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500_no-silhouette.py',
    'configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py',
    'configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_no-silhouette.py',
    'configs/kim/kim-fixed_resnet18-fpn_fast_bsds500.py',
    'configs/dynaseg/dynaseg-scf_resnet18-fpn_fast_bsds500.py',
    'configs/dynaseg/dynaseg-scf_resnet18-fpn_fast_bsds500_no-silhouette.py',
    'configs/dynaseg/dynaseg-fsf_resnet18-fpn_fast_bsds500.py',
    'configs/dynaseg/dynaseg-fsf_resnet18-fpn_fast_bsds500_no-silhouette.py',
    'configs/kim/kim-fixed_cnn-m2_fast_voc2012.py',
    'configs/dynaseg/dynaseg-scf_cnn-m2_fast_voc2012.py',
    'configs/dynaseg/dynaseg-fsf_cnn-m2_fast_voc2012.py',
    'configs/dynaseg/dynaseg-scf_cnn-m3_fast_coco-stuff27.py',
    'configs/dynaseg/dynaseg-fsf_cnn-m3_fast_coco-stuff27.py',
)
#: Too slow for a CPU report (the authors' 1000-iteration loop at <= 40k pixels: about 4
#: CPU-minutes per image and config): run and reported only when --only names them.
NAMED_ONLY_CONFIGS = (
    'configs/kim/kim-fixed_cnn-m2_faithful-40k_bsds500.py',
    'configs/dynaseg/dynaseg-scf_cnn-m2_faithful-40k_bsds500.py',
    'configs/dynaseg/dynaseg-fsf_cnn-m2_faithful-40k_bsds500.py',
    # The authors' loop at full resolution: GPU only (tools/device_check.sh runs them).
    'configs/kim/kim-fixed_cnn-m2_faithful_bsds500.py',
    'configs/dynaseg/dynaseg-scf_cnn-m2_faithful_bsds500.py',
    'configs/dynaseg/dynaseg-fsf_cnn-m2_faithful_bsds500.py',
)
#: Report order of the datasets; each has a ``section-<name>`` block in the template.
DATASETS = ('bsds500', 'voc2012', 'cocostuff27')


@dataclass(frozen=True)
class Run:
    """One row of the report: a config (on the dataset it names)."""

    config: str  # relative to the repository root
    by_default: bool = True  # False: too slow for a CPU report; run only when --only names it
    # A committed report whose table holds this run's row: read when its work dir is absent.
    committed: str | None = None

    @property
    def name(self) -> str:
        return Path(self.config).stem

    @cached_property
    def cfg(self) -> Config:
        """The config file as written (no --cfg-options)."""
        from mmengine.config import Config

        return Config.fromfile(str(REPO_ROOT / self.config))

    @cached_property
    def dataset(self) -> str:
        """The dataset's name, as its class declares it (``METAINFO['dataset_name']``)."""
        return dataset_class(self.cfg.dataset.type).METAINFO['dataset_name']

    @property
    def folder(self) -> str:
        """The dataset's folder under ``--data-root``: that of the config's ``data_root``."""
        return Path(self.cfg.dataset.data_root).name


RUNS: tuple[Run, ...] = (
    *(Run(config) for config in DEFAULT_CONFIGS),
    *(Run(config, by_default=False) for config in NAMED_ONLY_CONFIGS),
)
#: The fast runs at the authors' constants on all 200 test images, made on a GPU
#: (docs/results_bsds500_all.md): without their work dirs, their rows are read from that report.
ALL_TEST = 'docs/results_bsds500_all.md'
AUTHORS_KIM = Run('configs/kim/kim-fixed_cnn-m2_fast_bsds500.py', committed=ALL_TEST)
AUTHORS_SCF = Run('configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500.py', committed=ALL_TEST)
AUTHORS_FSF = Run('configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py', committed=ALL_TEST)
#: The validated default (issue 16), the tools' default config.
VALIDATED_DEFAULT = Run('configs/dynaseg/dynaseg-fsf_cnn-m2_fast-replicate-edge_bsds500.py')
#: ``--report warm-start`` (issue 19): the per-image default and the one before it (SCF), the
#: per-image FSF run the warm start continues from a trained network instead of a random one, the
#: warm start and the one pass.
WARM_START_RUNS: tuple[Run, ...] = (
    VALIDATED_DEFAULT,
    AUTHORS_SCF,
    AUTHORS_FSF,
    Run('configs/dynaseg/dynaseg-fsf_cnn-m2_warm-start_bsds500.py'),
    Run('configs/dynaseg/dynaseg-fsf_cnn-m2_one-pass_bsds500.py'),
)
#: ``--report default`` (issue 16): the validated default (chosen on BSDS500 val, see
#: docs/tuning.md) with seeds 0, 1, 2; Kim et al.'s fixed weight with the same levers (does the
#: dynamic weight itself help?); Kim et al. and DynaSeg SCF / FSF at the authors' constants.
#: The first run is the default the others are compared with; runs whose config differs from it
#: only in ``model.seed`` are its seed runs.
DEFAULT_REPORT_RUNS: tuple[Run, ...] = (
    VALIDATED_DEFAULT,
    Run('configs/dynaseg/dynaseg-fsf_cnn-m2_fast-replicate-edge_bsds500_seed1.py'),
    Run('configs/dynaseg/dynaseg-fsf_cnn-m2_fast-replicate-edge_bsds500_seed2.py'),
    Run('configs/kim/kim-fixed_cnn-m2_fast-replicate-edge_bsds500.py'),
    AUTHORS_KIM,
    AUTHORS_SCF,
    AUTHORS_FSF,
)
REPORT_RUNS = {'results': RUNS, 'warm-start': WARM_START_RUNS, 'default': DEFAULT_REPORT_RUNS}


# ----------------------------------------------------------------------------- paths


def repo_relative(path: str | Path) -> str:
    """``path`` as seen from the repository root, where every command runs (never absolute)."""
    return os.path.relpath(os.path.abspath(path), REPO_ROOT)


def shell_line(command: Sequence[str]) -> str:
    """``command`` as printed, for a shell in the repository root. A ``key=value`` word whose
    value must be absolute (a config option read relative to some other folder) is written as
    ``key="$PWD"/<path from the repository root>``."""
    words = []
    for word in command:
        key, equals, value = word.partition('=')
        if equals and os.path.isabs(value):
            words.append(f'{shlex.quote(key + equals)}"$PWD"/{shlex.quote(repo_relative(value))}')
        else:
            words.append(shlex.quote(word))
    return ' '.join(words)


#: reproduce.py's options that take a path: printed relative to the repository root.
PATH_OPTIONS = ('--data-root', '--work-dir', '--output', '--assets')


def invocation_line(argv: Sequence[str]) -> str:
    """The reproduce.py command as given, its path options relative to the repository root."""
    words, after_path_option, in_run_dirs = [], False, False
    for word in argv:
        option, equals, value = word.partition('=')
        in_run_dirs = bool(words) and (
            words[-1] == '--run-dir' or (in_run_dirs and not word.startswith('-'))
        )
        if after_path_option:
            word = repo_relative(word)
        elif equals and option in PATH_OPTIONS:
            word = f'{option}={repo_relative(value)}'
        elif equals and in_run_dirs:  # --run-dir NAME=DIR ...
            word = f'{option}={repo_relative(value)}'
        words.append(word)
        after_path_option = word in PATH_OPTIONS
    return shlex.join(['python', 'tools/reproduce.py', *words])


# ----------------------------------------------------------------------------- the template


_BLOCK = re.compile(r'<!-- block: (?P<name>[\w-]+) -->')


@cache
def template_blocks(path: str = TEMPLATE) -> dict[str, Template]:
    """The named blocks of the report template (see its preamble for the format)."""
    blocks: dict[str, list[str]] = {}
    lines: list[str] | None = None
    for line in (REPO_ROOT / path).read_text(encoding='utf-8').splitlines():
        match = _BLOCK.fullmatch(line.strip())
        if match:
            lines = blocks.setdefault(match['name'], [])
        elif lines is not None:
            lines.append(line)
    return {name: Template('\n'.join(lines).strip('\n')) for name, lines in blocks.items()}


def fill(block: str, **values: Any) -> str:
    """The template block ``block`` with ``values`` substituted (every placeholder required)."""
    return template_blocks()[block].substitute(values)


# ----------------------------------------------------------------------------- configs


def dataset_class(type_name: str) -> type[ListedImageDataset]:
    from dynaseg.registry import DATASETS
    from dynaseg.utils import register_all_modules

    register_all_modules()
    return DATASETS.get(type_name)


def model_config(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    """The run's model config as the runner will see it (the config plus --cfg-options)."""
    cfg = run.cfg.copy()
    options = dict(o.split('=', 1) for o in args.cfg_options)
    model_options = {k: v for k, v in options.items() if k.startswith('model.')}
    if model_options:
        from mmengine.config import DictAction

        cfg.merge_from_dict({k: DictAction._parse_iterable(v) for k, v in model_options.items()})
    return cfg.model.to_dict()


#: The row label of each registered continuity weighting; ``mu=<value>`` follows it.
WEIGHTINGS = {
    'FixedWeight': 'Kim et al., fixed',
    'SCFWeight': 'DynaSeg-SCF,',
    'FSFWeight': 'DynaSeg-FSF,',
}


def method_label(model: dict[str, Any]) -> str:
    """The weighting and its mu, from ``model.loss.weight``."""
    weight = model['loss']['weight']
    return f'{WEIGHTINGS.get(weight["type"], weight["type"])} mu={weight["mu"]:g}'


def is_one_pass(model: dict[str, Any]) -> bool:
    """Whether the model labels each image with one forward pass (reference-image mode)."""
    return model.get('type') == 'DynaSegReferenceImage'


def mode_label(model: dict[str, Any]) -> str:
    """How each image's labels are made, from the model config: the segmentor type of a one
    pass, the ``init_checkpoint`` of a warm start, else a per-image random initialisation."""
    if is_one_pass(model):
        checkpoint = (model.get('reference') or {}).get('checkpoint')
        name = Path(checkpoint).name if checkpoint else 'no checkpoint'
        return f'one pass ({model["type"]}, {name})'
    if model.get('init_checkpoint'):
        return f'warm start from {Path(model["init_checkpoint"]).name}'
    return 'per image, random init'


NO_LEVERS = "none (authors' constants)"


def levers_label(model: dict[str, Any]) -> str:
    """The quality levers (issue 16) a model config sets away from the authors' setting."""
    levers = []
    padding = model['backbone'].get('padding_mode', 'zeros')
    if padding != 'zeros':
        levers.append(f'{padding} padding')
    continuity = model['loss'].get('continuity') or {}
    if continuity.get('edge_sigma'):
        levers.append(f'edge-aware continuity s={continuity["edge_sigma"]:g}')
    if continuity.get('diagonal'):
        levers.append('diagonal continuity')
    if continuity.get('penalty', 'l1') != 'l1':
        levers.append(f'{continuity["penalty"]} continuity')
    target = model['loss'].get('target') or {}
    if target.get('type', 'argmax') != 'argmax':
        levers.append(f'{target["type"]} targets')
    if model.get('consensus'):
        levers.append(f'consensus of {model["consensus"].get("seeds")} seeds')
    if model.get('seed', 0):
        levers.append(f'seed {model["seed"]}')
    return ', '.join(levers) or NO_LEVERS


def mode_with_levers(model: dict[str, Any]) -> str:
    """:func:`mode_label`, followed by the levers in brackets when the config sets any."""
    levers = levers_label(model)
    return mode_label(model) + ('' if levers == NO_LEVERS else f' ({levers})')


def random_resnet(backbone: dict[str, Any]) -> bool:
    return backbone['type'] == 'ResNetFPNExtractor' and not backbone.get('checkpoint')


def extractor_label(model: dict[str, Any]) -> str:
    """The feature extractor, from ``model.backbone``."""
    backbone = model['backbone']
    if backbone['type'] == 'DynaSegCNN':
        return f'CNN M={backbone["num_convs"]}'
    if backbone['type'] == 'ResNetFPNExtractor':
        weights = 'random init' if random_resnet(backbone) else Path(backbone['checkpoint']).name
        return f'ResNet-{backbone["depth"]}+FPN ({weights})'
    return backbone['type']


def schedule_kind(model: dict[str, Any]) -> tuple[str, str]:
    """(template block, name) of the run's schedule: the fast coarse-to-fine one, or the
    authors' loop at a capped working size or at full size."""
    s = model.get('schedule') or {}
    if s.get('coarse_max_pixels'):
        return 'schedule-fast', 'fast'
    if s.get('max_pixels'):
        return 'schedule-capped', f'faithful-{s["max_pixels"] // 1000}k'
    return 'schedule-full', 'faithful'


def schedule_text(model: dict[str, Any]) -> str:
    """The resolution / schedule of a run, from its model config."""
    if is_one_pass(model):
        reference = model.get('reference') or {}
        size = reference.get('max_pixels')
        return (
            f'one forward at {f"<= {size:,} px" if size else "full size"}, BatchNorm on '
            f'{reference.get("bn_stats")} statistics, no optimisation'
        )
    s = model.get('schedule') or {}
    if s.get('coarse_max_pixels'):
        until = (
            f'until q stable {s["patience"]} it (max {s.get("max_iters")}, '
            if s.get('patience')
            else f'for {s.get("max_iters")} it ('
        )
        return (
            f'fast: <= {s["coarse_max_pixels"]:,} px {until}stop q <= {s.get("min_labels")}), '
            f'refine {s.get("refine_iters", 0)} it, label at <= {s.get("max_pixels", 0):,} px'
        )
    size = f'<= {s["max_pixels"]:,} px' if s.get('max_pixels') else 'full size'
    return f'{size}, up to {s.get("max_iters")} it, stop q <= {s.get("min_labels")}'


# ----------------------------------------------------------------------------- subsets


@dataclass(frozen=True)
class Subset:
    """Which images a run covers: a work-dir name, descriptions and the config overrides."""

    tag: str
    description: str  # the section heading's
    summary: str  # the short form, in the paragraph on differences
    options: dict[str, str]
    size: int | None  # the images the subset should have (None: whatever is present)


def run_dataset(run: Run, data_root: str | Path, **overrides: Any) -> ListedImageDataset:
    """The run's dataset under ``<data_root>/<folder>``, with ``overrides``, not yet loaded."""
    from mmengine.config import Config

    from dynaseg.apis.dataset_runner import build_dataset

    root = str(Path(data_root) / run.folder)
    dataset = dict(run.cfg.dataset.to_dict(), data_root=root, lazy_init=True, **overrides)
    return build_dataset(Config(dict(dataset=dataset)))


def listed_ids(dataset: ListedImageDataset) -> list[str]:
    """The ids the dataset lists, present or not, in its order."""
    return [sample['img_id'] for sample in dataset.list_samples()]


def bsds_subset(listed: Sequence[str], images: int, ids: Sequence[str] | None) -> Subset:
    """The first ``images`` of the ``listed`` test ids (0: all), or exactly ``ids``, as dataset
    indices."""
    listed = list(listed)
    if ids:
        unknown = [i for i in ids if i not in listed]
        if unknown:
            raise SystemExit(f'error: not BSDS500 test ids: {" ".join(unknown)}')
        indices = sorted(listed.index(i) for i in ids)
        digest = hashlib.sha1(' '.join(sorted(ids)).encode()).hexdigest()[:8]
        given = f'{len(ids)} given ids: {" ".join(listed[i] for i in indices)}'
        return Subset(
            f'test_ids{len(ids)}-{digest}',
            given,
            given,
            {'dataset.indices': '[' + ','.join(map(str, indices)) + ']'},
            len(ids),
        )
    if images <= 0 or images >= len(listed):
        every = f'all {len(listed)} test images'
        return Subset('test_all', every, every, {}, len(listed))
    first = f'the first {images} ids of the sorted test list'
    return Subset(
        f'test_first{images}',
        f'{first} ({" ".join(listed[:images])})',
        first,
        {'dataset.indices': str(images)},
        images,
    )


def coco_present_list(
    run: Run, data_root: str | Path, work_dir: str | Path, write: bool
) -> tuple[Path, list[str], int]:
    """Write (if ``write``) the list of the split's images present with their labels; also count
    how many of them the config's own list (the curated one) holds. Returns (list path, ids,
    in-curated count). The images are those an :class:`ImageFolderDataset` finds; whether each
    has labels is what the config's dataset class says of it."""
    import tempfile

    from dynaseg.datasets import ImageFolderDataset

    curated = run_dataset(run, data_root)
    folder = ImageFolderDataset(str(curated.root / 'images' / curated.split), lazy_init=True)
    try:
        images = sorted(listed_ids(folder))
    except NotADirectoryError:  # the dataset is absent: no image is present
        images = []
    with tempfile.TemporaryDirectory() as tmp:
        candidates = Path(tmp) / 'images.txt'
        candidates.write_text(''.join(f'{i}\n' for i in images))
        samples = run_dataset(run, data_root, list_file=str(candidates)).list_samples()
    ids = [s['img_id'] for s in samples if s['gt_path'] is not None]
    try:
        in_curated = set(listed_ids(curated))
    except FileNotFoundError:  # no curated list: none of them is in it
        in_curated = set()
    path = Path(work_dir).absolute() / 'lists' / f'{run.dataset}_{curated.split}_present.txt'
    if write:
        from dynaseg.utils.fileio import save_text

        save_text(path, ''.join(f'{i}\n' for i in ids))
    return path, ids, sum(i in in_curated for i in ids)


def subset_for(run: Run, args: argparse.Namespace, write: bool = False) -> Subset:
    """The fixed subset every run on ``run``'s dataset uses (it depends on the dataset alone)."""
    if run.dataset == 'bsds500':
        return bsds_subset(listed_ids(run_dataset(run, args.data_root)), args.images, args.ids)
    if run.dataset == 'voc2012':
        split = 'val_with_images'
        try:
            n: int | None = len(listed_ids(run_dataset(run, args.data_root, split=split)))
        except FileNotFoundError:
            n = None
        description = (
            f'the {n or "(list missing)"} val images whose JPEG is present '
            f'(ImageSets/Segmentation/{split}.txt)'
        )
        return Subset(split, description, f'{n} VOC images', {'dataset.split': split}, n)
    path, ids, in_curated = coco_present_list(run, args.data_root, args.work_dir, write)
    return Subset(
        'val2017_present',
        f'the {len(ids)} val2017 images present with labels '
        f'({" ".join(ids)}); {in_curated} of them in the curated 2,175-id list',
        f'{len(ids)} COCO images',
        {'dataset.list_file': str(path)},
        len(ids),
    )


def work_dir_for(run: Run, subset: Subset, work_root: str) -> Path:
    return Path(work_root) / run.name / subset.tag


def run_work_dir(run: Run, subset: Subset, args: argparse.Namespace) -> Path:
    """Where ``run`` is run and read: its ``--run-dir``, else ``<work-dir>/<name>/<subset>``."""
    given = dict(_run_dirs(args))
    return Path(given[run.name]) if run.name in given else work_dir_for(run, subset, args.work_dir)


def run_options(args: argparse.Namespace) -> list[str]:
    """``--device`` / ``--threads`` / ``--batch-size`` as reproduce.py and evaluate_config.py
    both take them."""
    options = ['--device', args.device] if args.device != 'cpu' else []
    options += ['--threads', str(args.threads)] if args.threads else []
    return options + (['--batch-size', str(args.batch_size)] if args.batch_size else [])


def command_for(
    run: Run, subset: Subset, args: argparse.Namespace, score_only: bool = False
) -> list[str]:
    """The tools/evaluate_config.py command of one run, to run from the repository root (what is
    executed and, through :func:`shell_line`, what is reported); ``score_only`` adds
    ``--limit 0``: score the predictions present, segment nothing."""
    command = [
        'python',
        EVAL_TOOL,
        '--config',
        run.config,
        '--data-root',
        repo_relative(Path(args.data_root) / run.folder),
        '--work-dir',
        repo_relative(run_work_dir(run, subset, args)),
    ]
    command += run_options(args)
    if score_only:
        command += ['--limit', '0']
    options = dict(subset.options, **dict(o.split('=', 1) for o in args.cfg_options))
    if options:
        command += ['--cfg-options', *(f'{k}={v}' for k, v in options.items())]
    return command


def selected_runs(only: Sequence[str] | None, report: str = 'results') -> list[Run]:
    """The runs of ``report`` that ``--only`` names (default: those run by default)."""
    candidates = REPORT_RUNS[report]
    if not only:
        return [r for r in candidates if r.by_default]
    runs = [r for r in candidates if any(fnmatch.fnmatch(r.name, p) or p == r.name for p in only)]
    if not runs:
        raise SystemExit(
            f'error: --only {" ".join(only)} matches none of: '
            + ' '.join(r.name for r in candidates)
        )
    return runs


# ----------------------------------------------------------------------------- reading results


def read_results(work_dir: Path) -> dict[str, Any] | None:
    path = work_dir / RESULTS_JSON
    return json.loads(path.read_text(encoding='utf-8')) if path.is_file() else None


def read_records(work_dir: Path) -> list[dict[str, Any]]:
    """The optimisation records of the images scored in ``work_dir`` (those in its pkl rows)."""
    results = read_results(work_dir)
    if results is None:
        return []
    with open(work_dir / 'eval_results.pkl', 'rb') as handle:
        ids = [row['img_id'] for row in pickle.load(handle)]
    records = []
    for img_id in ids:
        path = work_dir / 'preds' / 'records' / f'{img_id}.json'
        if path.is_file():
            records.append(json.loads(path.read_text(encoding='utf-8')))
    return records


def _f(value: Any, digits: int = 4, scale: float = 1.0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 'n/a'
    return f'{value * scale:.{digits}f}'


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def run_summary(run: Run, work_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Counts and timings of one run (from its outputs); its labels from its config."""
    results = read_results(work_dir)
    records = read_records(work_dir)
    model = model_config(run, args)
    return {
        'results': results,
        'scored': results['counts']['scored'] if results else 0,
        'segmented': len(list((work_dir / 'preds').glob('*.png'))),
        'seconds': _mean([r['seconds'] for r in records if 'seconds' in r]),
        'iterations': _mean([r['iterations'] for r in records if 'iterations' in r]),
        'labels': _mean([r['num_labels'] for r in records if 'num_labels' in r]),
        'method': method_label(model),
        'extractor': extractor_label(model),
        'schedule': schedule_text(model),
        'silhouette': 'yes' if (model.get('silhouette') or {}).get('enabled', False) else 'no',
    }


# ----------------------------------------------------------------------------- the report


def _status(summary: dict[str, Any], subset: Subset, command: list[str]) -> str | None:
    """None if the run is complete, else what the row says instead of (or beside) numbers."""
    if summary['results'] is None or summary['scored'] == 0:
        if summary.get('segmented'):  # under way, or stopped before scoring: no score yet
            return (
                f'not scored yet: {summary["segmented"]} label maps in its work dir (a run '
                f'scores when it ends; `--limit 0` scores what is there): `{shell_line(command)}`'
            )
        return f'not run: `{shell_line(command)}`'
    if subset.size is not None and summary['scored'] < subset.size:
        return (
            f'partial: {summary["scored"]} of {subset.size} scored; resume with '
            f'`{shell_line(command)}`'
        )
    return None


def _metric(results: dict[str, Any] | None, prefix: str, key: str) -> Any:
    return ((results or {}).get('metrics', {}).get(prefix) or {}).get(key)


def _bsds_region_prefix(results: dict[str, Any] | None) -> str:
    for prefix, scores in (results or {}).get('metrics', {}).items():
        if 'PRI' in scores:
            return prefix
    return ''


def _scores(dataset: str, results: dict[str, Any] | None) -> list[str]:
    """The score cells of one row, in the columns of the dataset's table."""
    if dataset == 'bsds500':
        from dynaseg.evaluation.comparison import MODES

        region = _bsds_region_prefix(results)
        values = [_f(_metric(results, p, 'mIoU')) for p in MODES]
        return values + [_f(_metric(results, region, k), 3) for k in ('PRI', 'VOI', 'covering')]
    if dataset == 'voc2012':
        return [_f(_metric(results, 'voc', 'mIoU'))]
    return [
        ' / '.join(
            _f(_metric(results, prefix, k), 2, 100)
            for k in ('mIoU', 'thing_mIoU', 'stuff_mIoU', 'pixel_accuracy')
        )
        for prefix in ('a_dataset', 'b_per_image', 'c_per_image_summed')
    ]


def table_rows(
    runs: Sequence[Run], args: argparse.Namespace, dataset: str
) -> tuple[list[str], list[str]]:
    """Markdown rows of one dataset's table and the notes on rows not complete."""
    rows, notes = [], []
    for run in (r for r in runs if r.dataset == dataset):
        subset = subset_for(run, args)
        summary = run_summary(run, run_work_dir(run, subset, args), args)
        status = _status(summary, subset, command_for(run, subset, args))
        if status:
            notes.append(f'- `{run.name}`: {status}')
        n = f'{summary["scored"]}/{subset.size}'
        if status:
            n = f'**{n} (partial)**' if summary['scored'] else 'not run'
        timing = (
            f'{_f(summary["iterations"], 0)} it, {_f(summary["labels"], 1)} labels, '
            f'{_f(summary["seconds"], 1 if (summary["seconds"] or 0) < 10 else 0)} s'
        )
        cells = [summary['method'], summary['extractor'], summary['silhouette'], n]
        cells += [*_scores(dataset, summary['results']), timing, summary['schedule']]
        rows.append('| ' + ' | '.join(cells) + ' |')
    return rows, notes


def read_per_image(work_dir: Path) -> list[dict[str, Any]]:
    """The per-image score rows of a run (``eval_results.pkl``), [] if it has none."""
    path = work_dir / 'eval_results.pkl'
    if not path.is_file():
        return []
    with open(path, 'rb') as handle:
        return pickle.load(handle)


def bootstrap_cells(
    results: dict[str, Any] | None, rows: list[dict[str, Any]], n: int
) -> list[str]:
    """``value [low, high]`` of all / fine / coarse (Kim's pooled mIoU: per-image mIoU weighted
    by segment count) and PRI / VOI (means over images), resampling images ``n`` times."""
    from dynaseg.evaluation.bootstrap import bootstrap_ci
    from dynaseg.evaluation.comparison import MODES

    def cell(key: str, weight_key: str | None, digits: int) -> str:
        values = [row.get(key, math.nan) for row in rows]
        weights = None if weight_key is None else [row.get(weight_key, 0) for row in rows]
        try:
            ci = bootstrap_ci(values, weights, num_resamples=n, seed=0)
        except ValueError:
            return 'n/a'
        return f'{ci.value:.{digits}f} [{ci.low:.{digits}f}, {ci.high:.{digits}f}]'

    region = _bsds_region_prefix(results)
    cells = [cell(f'{p}/mIoU', f'{p}/num_segments', 4) for p in MODES]
    return cells + [cell(f'{region}/{k}', None, 3) for k in ('PRI', 'VOI')]


def bootstrap_table(runs: Sequence[Run], args: argparse.Namespace) -> str:
    """The BSDS500 section's table of 95% bootstrap intervals ('' without --bootstrap)."""
    if not args.bootstrap:
        return ''
    rows = []
    for run in (r for r in runs if r.dataset == 'bsds500'):
        work_dir = run_work_dir(run, subset_for(run, args), args)
        per_image = read_per_image(work_dir)
        if not per_image:
            continue
        label = method_label(model_config(run, args))
        cells = bootstrap_cells(read_results(work_dir), per_image, args.bootstrap)
        rows.append(f'| {label} | {len(per_image)} | ' + ' | '.join(cells) + ' |')
    if not rows:
        return ''
    return fill('bootstrap-bsds500', resamples=args.bootstrap, rows='\n'.join(rows)) + '\n'


def voc_gt_kind(run: Run, data_root: str | Path) -> str:
    """Which VOC masks the run's dataset resolves to ('object' or 'class')."""
    return run_dataset(run, data_root, split='val_with_images').resolved_gt_kind()


def machine_text(threads: int | None) -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    model_name = ''
    cpuinfo = Path('/proc/cpuinfo')
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith('model name'):
                model_name = line.split(':', 1)[1].strip()
                break
    return (
        f'{os.cpu_count()}-core CPU ({model_name or cpu}), shared with other jobs; '
        f'torch {torch.__version__} ({torch.get_num_threads() if threads is None else threads} '
        f'thread(s) per run), Python {platform.python_version()}, {platform.system()}'
    )


def regenerate_command(args: argparse.Namespace) -> str:
    """The reproduce.py command that segments and scores every run of this report."""
    command = [
        'python',
        'tools/reproduce.py',
        '--data-root',
        repo_relative(args.data_root),
        '--work-dir',
        repo_relative(args.work_dir),
    ]
    command += ['--ids', *args.ids] if args.ids else ['--images', str(args.images)]
    command += run_options(args)
    if args.bootstrap:
        command += ['--bootstrap', str(args.bootstrap)]
    if args.cfg_options:
        command += ['--cfg-options', *args.cfg_options]
    if args.report != 'results':
        command += ['--report', args.report]
    if args.run_dir:
        command += ['--run-dir']
        command += [f'{name}={repo_relative(path)}' for name, path in _run_dirs(args)]
    if args.only:
        command += ['--only', *args.only]
    if repo_relative(args.output) != REPORT_OUTPUTS[args.report]:
        command += ['--output', repo_relative(args.output)]
    return shell_line(command)


def _run_dirs(args: argparse.Namespace) -> list[tuple[str, str]]:
    return [(name, path) for name, _, path in (item.partition('=') for item in args.run_dir)]


def _differences(runs: Sequence[Run], args: argparse.Namespace, gt_kind: str) -> str:
    """The paragraph on what differs from the published setting, for the runs shown."""
    first = {run.dataset: run for run in reversed(runs)}  # the first run of each dataset
    subsets = {dataset: subset_for(run, args) for dataset, run in first.items()}
    whole_bsds = 'bsds500' in subsets and subsets['bsds500'].tag == 'test_all'
    if whole_bsds and set(subsets) == {'bsds500'}:
        sentences = [fill('differences-whole-bsds500')]
    else:
        sizes = [
            'the whole BSDS500 test set'
            if whole_bsds and dataset == 'bsds500'
            else subset.summary + (" of BSDS500's 200" if dataset == 'bsds500' else '')
            for dataset, subset in sorted(subsets.items(), key=lambda d: DATASETS.index(d[0]))
        ]
        sentences = [fill('differences-small-subsets', sizes='; '.join(sizes))]
    models = [model_config(run, args) for run in runs]
    schedules = dict(sorted({schedule_kind(m)[::-1] for m in models}))
    sentences += [fill(block, name=name) for name, block in schedules.items()]
    sentences.append(fill('differences-scoring'))
    if any(random_resnet(m['backbone']) for m in models):
        sentences.append(fill('differences-random-resnet'))
    if 'bsds500' in subsets:
        sentences.append(fill('differences-kim-silhouette'))
    if {'voc2012', 'cocostuff27'} & set(subsets):
        sentences.append(fill('differences-voc-coco', gt_kind=gt_kind))
    return ' '.join(sentences)


def render(runs: Sequence[Run], args: argparse.Namespace, command: str) -> str:
    """The report for ``runs``: one section per dataset they cover, then the commands."""
    first = {run.dataset: run for run in reversed(runs)}
    gt_kind = 'class'
    if 'voc2012' in first:
        try:
            gt_kind = voc_gt_kind(first['voc2012'], args.data_root)
        except Exception as err:  # the dataset may be absent: say so rather than guess
            gt_kind = f'unknown ({type(err).__name__})'
    sections = []
    for dataset in (d for d in DATASETS if d in first):
        rows, notes = table_rows(runs, args, dataset)
        sections.append(
            fill(
                f'section-{dataset}',
                subset=subset_for(first[dataset], args).description,
                rows='\n'.join(rows),
                notes=''.join(f'{note}\n' for note in notes)
                + (bootstrap_table(runs, args) if dataset == 'bsds500' else ''),
                gt_kind=gt_kind,
            )
        )
    commands = [shell_line(command_for(run, subset_for(run, args), args)) for run in runs]
    figures = {name for _, name in FIGURE_RUNS} <= {run.name for run in runs}
    return fill(
        'report',
        command=command,
        date=time.strftime('%Y-%m-%d'),
        score_only=' ' + fill('score-only') if args.score_only else '',
        machine=args.machine or machine_text(args.threads),
        sections='\n\n'.join(sections),
        differences=_differences(runs, args, gt_kind),
        regenerate=regenerate_command(args),
        commands='\n'.join(commands),
        figures=f'\n{fill("figures")}\n' if figures else '',
    )


# ----------------------------------------------------------------------------- warm-start report


@dataclass(frozen=True)
class CommittedRow:
    """A run's row in a committed report (its BSDS500 table), for a run whose work dir is absent."""

    document: str  # relative to the repository root
    machine: str  # where that report says its runs were made
    images: str  # scored / in the subset
    scores: list[str]  # all, fine, coarse, PRI, VOI, covering, as printed there
    iterations: str
    labels: str
    seconds: str


_RUN_CELL = re.compile(r'(?P<it>\S+) it, (?P<labels>\S+) labels, (?P<seconds>\S+) s')


def committed_row(run: Run, subset: Subset, args: argparse.Namespace) -> CommittedRow | None:
    """The row of ``run`` in its committed report, or None.

    The row must sit in that report's BSDS500 section for the same subset, and carry the labels
    this config gives today (weighting and mu, extractor, Silhouette phase, schedule): a config
    changed since that report matches no row.
    """
    if run.committed is None or not (REPO_ROOT / run.committed).is_file():
        return None
    text = (REPO_ROOT / run.committed).read_text(encoding='utf-8')
    section = re.search(
        rf'^## BSDS500 test -- {re.escape(subset.description)}\n(?P<body>.*?)(?=^## |\Z)',
        text,
        re.M | re.S,
    )
    if section is None:
        return None
    model = model_config(run, args)
    silhouette = 'yes' if (model.get('silhouette') or {}).get('enabled', False) else 'no'
    key = [method_label(model), extractor_label(model), silhouette]
    for line in section['body'].splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        run_cell = _RUN_CELL.fullmatch(cells[-2]) if len(cells) == 12 else None
        if run_cell and cells[:3] == key and cells[-1] == schedule_text(model):
            machine = re.search(r'Machine: (.+?)\.$', text, re.M)
            return CommittedRow(
                run.committed,
                machine[1] if machine else 'see that report',
                cells[3],
                cells[4:10],
                run_cell['it'],
                run_cell['labels'],
                run_cell['seconds'],
            )
    return None


def table_row(run: Run, args: argparse.Namespace) -> tuple[str, str | None]:
    """One row of a warm-start or default report's table and the note on it (None: complete,
    from its work dir). Its first column says how labels are made (warm start) or which levers
    are set (default)."""
    subset = subset_for(run, args)
    work_dir = run_work_dir(run, subset, args)
    summary = run_summary(run, work_dir, args)
    model = model_config(run, args)
    labels = [
        levers_label(model) if args.report == 'default' else mode_with_levers(model),
        summary['method'],
        summary['extractor'],
        'n/a' if is_one_pass(model) else summary['silhouette'],
    ]
    status = _status(summary, subset, command_for(run, subset, args))
    committed = None if summary['scored'] else committed_row(run, subset, args)
    if committed is not None:
        cells = [f'{committed.images} (committed)', *committed.scores, committed.labels]
        cells += [f'{committed.seconds} (there)', committed.iterations]
        note = fill(
            'warm-start-committed',
            name=run.name,
            document=repo_relative(REPO_ROOT / committed.document),
            work_dir=repo_relative(work_dir),
            machine=committed.machine,
        )
        return '| ' + ' | '.join([*labels, *cells, summary['schedule']]) + ' |', note
    n = f'{summary["scored"]}/{subset.size}'
    if status:
        n = f'**{n} (partial)**' if summary['scored'] else 'not run'
    per_image = read_per_image(work_dir) if summary['scored'] else []
    if args.bootstrap and per_image:
        scores = bootstrap_cells(summary['results'], per_image, args.bootstrap)
        scores.append(_scores('bsds500', summary['results'])[-1])  # covering: pooled ratio
    else:
        scores = _scores('bsds500', summary['results'])
    seconds = summary['seconds']
    cells = [n, *scores, _f(summary['labels'], 1), _f(seconds, 2 if (seconds or 0) < 10 else 1)]
    cells.append(_f(summary['iterations'], 0))
    note = f'- `{run.name}`: {status}' if status else None
    if note and not summary['scored'] and run.committed:
        document = repo_relative(REPO_ROOT / run.committed)
        note += f' (and `{document}` has no row for this config on this subset)'
    return '| ' + ' | '.join([*labels, *cells, summary['schedule']]) + ' |', note


def render_table_report(runs: Sequence[Run], args: argparse.Namespace, command: str) -> str:
    """The warm-start or default report (``--report warm-start|default``): every run of it on
    BSDS500 test in one table; the default report adds its paired differences and seed spread."""
    bsds = [run for run in runs if run.dataset == 'bsds500']
    if not bsds:
        raise SystemExit(
            f'error: the {args.report} report shows BSDS500 runs; --only selected none'
        )
    rows, notes = [], []
    for run in bsds:
        row, note = table_row(run, args)
        rows.append(row)
        notes += [note] if note else []
    intervals = fill('warm-start-intervals', resamples=args.bootstrap) if args.bootstrap else ''
    extra = {}
    if args.report == 'default':
        extra = {'paired': paired_table(bsds, args), 'seeds': seeds_table(bsds, args)}
    return fill(
        f'report-{args.report}',
        command=command,
        date=time.strftime('%Y-%m-%d'),
        machine=args.machine or machine_text(args.threads),
        subset=subset_for(bsds[0], args).description,
        intervals=intervals,
        rows='\n'.join(rows),
        notes=''.join(f'{note}\n' for note in notes),
        regenerate=regenerate_command(args),
        commands='\n'.join(shell_line(command_for(r, subset_for(r, args), args)) for r in bsds),
        **extra,
    )


def _per_image(run: Run, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The run's per-image rows that carry scores ([] for a run with none, e.g. one scored
    before per-image scores were pickled: its rows hold only ``img_id``)."""
    rows = read_per_image(run_work_dir(run, subset_for(run, args), args))
    return [row for row in rows if 'all/mIoU' in row]


def _signed(value: float) -> str:
    return f'{value:+.4f}'


def seed_runs_and_comparisons(
    runs: Sequence[Run], args: argparse.Namespace
) -> tuple[list[Run], list[Run]]:
    """A default report's runs split in two: the default (``runs[0]``) and the runs whose model
    config is its own but for ``model.seed``, then every other run (the comparisons)."""
    unseeded = [{**model_config(run, args), 'seed': None} for run in runs]
    seeds = [run for run, model in zip(runs, unseeded, strict=True) if model == unseeded[0]]
    return seeds, [run for run in runs if run not in seeds]


def paired_table(runs: Sequence[Run], args: argparse.Namespace) -> str:
    """Paired bootstrap intervals of (default - run) per mode, for every run not a seed run of
    the default (``runs[0]``), on the images both scored; a run with no per-image scores (a
    committed row) gets a row saying so; '' when ``runs`` holds no comparison."""
    from dynaseg.evaluation.comparison import MODES, paired_difference

    default = runs[0]
    comparisons = seed_runs_and_comparisons(runs, args)[1]
    if not comparisons:  # e.g. ``--only`` the seed runs: nothing to pair the default with
        return ''
    base = _per_image(default, args)
    rows = []
    for run in comparisons:
        model = model_config(run, args)
        label = f'{method_label(model)}, levers: {levers_label(model)}'
        per_image = _per_image(run, args)
        if not base or not per_image:
            missing = 'the default' if not base else 'this run'
            rows.append(
                f'| {label} | n/a | ' + ' | '.join(['n/a'] * 3) + f' | {missing} has '
                'no per-image scores here |'
            )
            continue
        diffs = [paired_difference(base, per_image, m, args.bootstrap) for m in MODES]
        cells = [f'{_signed(d.value)} [{_signed(d.low)}, {_signed(d.high)}]' for d in diffs]
        rows.append(f'| {label} | {diffs[0].num_images} | ' + ' | '.join(cells) + ' | |')
    return fill('default-paired', resamples=args.bootstrap, rows='\n'.join(rows))


def seeds_table(runs: Sequence[Run], args: argparse.Namespace) -> str:
    """The default's pooled mIoU per seed and mode on the images every seed scored, with mean,
    sample standard deviation and range."""
    from dynaseg.evaluation.comparison import MODES, seed_spread

    seeds = seed_runs_and_comparisons(runs, args)[0]
    scored = [(r, rows) for r in seeds if (rows := _per_image(r, args))]
    names = ', '.join(f'`{r.name}`' for r in seeds)
    if len(scored) < 2:
        return fill('default-seeds-missing', seeds=names, scored=len(scored))
    header = ' | '.join(f'seed {model_config(r, args).get("seed", 0)}' for r, _ in scored)
    lines = []
    for mode in MODES:
        spread = seed_spread([rows for _, rows in scored], mode)
        values = ' | '.join(f'{v:.4f}' for v in spread.values)
        lines.append(
            f'| {mode} | {values} | {spread.mean:.4f} +- {spread.std:.4f} | '
            f'{spread.low:.4f} - {spread.high:.4f} |'
        )
    return fill(
        'default-seeds',
        seeds=names,
        images=spread.num_images,
        header=header,
        rule='|---' * (len(scored) + 3) + '|',
        rows='\n'.join(lines),
    )


def table_runs_present(runs: Sequence[Run], args: argparse.Namespace) -> bool:
    """Whether a run of the report with no committed row to fall back on has scored images."""
    return any(
        read_results(run_work_dir(run, subset_for(run, args), args)) is not None
        for run in runs
        if run.committed is None and run.dataset == 'bsds500'
    )


# ----------------------------------------------------------------------------- figures


def _run_named(name: str) -> Run:
    return next(r for r in RUNS if r.name == name)


FIGURE_RUNS = (
    ('DynaSeg SCF', 'dynaseg-scf_cnn-m2_fast_bsds500'),
    ('DynaSeg FSF', 'dynaseg-fsf_cnn-m2_fast_bsds500'),
    ('Kim fixed mu', 'kim-fixed_cnn-m2_fast_bsds500'),
)


def draw_figures(
    args: argparse.Namespace, assets: Path, n_images: int = 3, max_side: int = 240
) -> list[Path]:
    """The qualitative grid and the label-count / loss plot, from the BSDS runs' outputs.

    The images are the first ``n_images`` of the subset that all three runs segmented (no choice
    by result); panels are shrunk to ``max_side`` pixels to keep the PNG small.
    """
    import cv2
    import numpy as np
    from PIL import Image

    from dynaseg.evaluation.functional import read_label_map
    from dynaseg.visualization import colorize_labels, make_grid, plot_history

    dataset = run_dataset(_run_named(FIGURE_RUNS[0][1]), args.data_root)
    samples = {sample['img_id']: sample for sample in dataset.list_samples()}
    listed = list(samples)
    subset = bsds_subset(listed, args.images, args.ids)
    dirs = {title: run_work_dir(_run_named(name), subset, args) for title, name in FIGURE_RUNS}
    in_subset = args.ids or (listed[: args.images] if args.images > 0 else listed)
    ids = [
        i
        for i in listed
        if i in in_subset
        and all(
            (d / 'preds' / f'{i}.png').is_file()
            and (d / 'preds' / 'records' / f'{i}.json').is_file()
            for d in dirs.values()
        )
    ]
    records = {
        t: {i: json.loads((d / 'preds' / 'records' / f'{i}.json').read_text()) for i in ids[:1]}
        for t, d in dirs.items()
    }
    if not ids:
        print('figures: no image segmented by all of ' + ', '.join(n for _, n in FIGURE_RUNS))
        return []

    def shrink(panel: np.ndarray, nearest: bool) -> np.ndarray:
        scale = max_side / max(panel.shape[:2])
        size = (round(panel.shape[1] * scale), round(panel.shape[0] * scale))
        mode = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA
        return cv2.resize(panel, size, interpolation=mode)

    grid_rows = []
    for img_id in ids[:n_images]:
        with Image.open(samples[img_id]['img_path']) as jpeg:
            image = np.asarray(jpeg.convert('RGB'))
        panels = [shrink(image, False)]
        panels += [
            shrink(colorize_labels(read_label_map(dirs[t] / 'preds' / f'{img_id}.png')), True)
            for t, _ in FIGURE_RUNS
        ]
        gt = dataset.load_ground_truth(samples[img_id])[0]
        panels.append(shrink(colorize_labels(gt), True))
        grid_rows.append(panels)
    assets.mkdir(parents=True, exist_ok=True)
    grid = make_grid(
        grid_rows, titles=['image', *[t for t, _ in FIGURE_RUNS], 'ground truth (annotator 1)']
    )
    qualitative = assets / 'qualitative_bsds500.png'
    cv2.imwrite(
        str(qualitative), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9]
    )
    curves = assets / 'label_count_loss.png'
    img_id = ids[0]
    plot_history(
        {t: records[t][img_id]['history'] for t, _ in FIGURE_RUNS},
        curves,
        title=f'BSDS500 test {img_id}: coarse stage of the fast schedule',
    )
    return [qualitative, curves]


# ----------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        '--data-root',
        required=True,
        help='folder holding bsds500/, voc2012/ and cocostuff/ (as the configs name them)',
    )
    parser.add_argument('--work-dir', default='work_dirs/reproduce')
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        '--images',
        type=int,
        help='BSDS500: the first N sorted test ids (0: all 200; default 10, and 0 for '
        '--report warm-start)',
    )
    which.add_argument('--ids', nargs='+', help='BSDS500: exactly these test ids')
    parser.add_argument(
        '--only',
        nargs='+',
        metavar='NAME',
        help='config stems (shell patterns) to run and report; default: '
        + ' '.join(r.name for r in RUNS if r.by_default)
        + '; only when named: '
        + ' '.join(r.name for r in RUNS if not r.by_default),
    )
    parser.add_argument(
        '--report',
        choices=sorted(REPORT_OUTPUTS),
        default='results',
        help='results (default): the reproduction report (docs/results.md); warm-start: the '
        'per-image default, the warm start and the one pass on BSDS500 test, all 200 images by '
        'default (docs/results_warm_start.md; written only once a warm-start or one-pass run '
        'has results; a per-image row whose work dir is absent is read from the committed '
        'docs/results_bsds500_all.md, and says so); default: the validated default with 3 '
        "seeds beside Kim et al. with the same levers and the authors' constants, with "
        'bootstrap intervals (1000 resamples unless --bootstrap), paired intervals of (default '
        '- each) and the seed spread (docs/results_default.md)',
    )
    parser.add_argument(
        '--run-dir',
        nargs='+',
        default=[],
        metavar='NAME=DIR',
        help='run (and read) config stem NAME in DIR instead of <work-dir>/<NAME>/<subset>, '
        'e.g. a run made by hand with tools/evaluate_config.py',
    )
    parser.add_argument('--threads', type=int, help='torch CPU threads per run')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu', help='for every run')
    parser.add_argument(
        '--batch-size',
        type=int,
        help='same-size images optimised together in every run (evaluate_config.py --batch-size)',
    )
    parser.add_argument(
        '--bootstrap',
        type=int,
        default=0,
        metavar='N',
        help='BSDS500: add 95%% bootstrap intervals over images (N resamples, seed 0; 0: none)',
    )
    parser.add_argument(
        '--machine',
        help='where the runs were made, for the report (default: this machine, described from '
        '/proc/cpuinfo and torch; give it when the report is written elsewhere, e.g. on a GPU '
        'host or with --table-only after copying the work dirs)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='extra config overrides for every run (e.g. model.schedule.max_pixels=160000)',
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--dry-run', action='store_true', help='print the commands, run nothing')
    mode.add_argument(
        '--table-only',
        action='store_true',
        help='write the report from the results present; run nothing, no figures',
    )
    mode.add_argument('--figures-only', action='store_true', help='only draw the figures')
    mode.add_argument(
        '--score-only',
        action='store_true',
        help='score the predictions present (evaluate_config.py --limit 0), segment '
        'nothing, then write the report and figures',
    )
    parser.add_argument(
        '--output', help='the report to write (default: docs/results.md, or that of --report)'
    )
    parser.add_argument('--assets', default='assets', help='where the figures go')
    args = parser.parse_args(argv)
    if args.images is None:
        args.images = 0 if args.report in TABLE_REPORTS else 10
    if args.report == 'default' and not args.bootstrap:
        args.bootstrap = 1000  # its paired differences are bootstrap intervals
    if args.output is None:
        args.output = REPORT_OUTPUTS[args.report]
    names = {run.name for run in REPORT_RUNS[args.report]}
    for item in args.run_dir:
        name, equals, path = item.partition('=')
        if not equals or not path or name not in names:
            parser.error(
                f'--run-dir {item}: expected NAME=DIR with NAME one of: {" ".join(sorted(names))}'
            )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    from dynaseg.utils.fileio import save_text

    args = parse_args(argv)
    runs = selected_runs(args.only, args.report)
    invocation = invocation_line(sys.argv[1:] if argv is None else argv)
    if args.dry_run:
        for run in runs:
            print(shell_line(command_for(run, subset_for(run, args), args)))
        return 0
    code = 0
    if not (args.table_only or args.figures_only):
        for run in runs:
            command = command_for(run, subset_for(run, args, write=True), args, args.score_only)
            print(f'$ {shell_line(command)}', flush=True)
            start = time.monotonic()
            # From the repository root, where the command's paths are relative to.
            rc = subprocess.call([sys.executable, *command[1:]], cwd=REPO_ROOT)
            print(f'{run.name}: exit {rc} after {time.monotonic() - start:.0f} s', flush=True)
            code = code or rc
    if args.report in TABLE_REPORTS:
        if args.figures_only:
            return code
        if not table_runs_present(runs, args):
            print(
                f'{args.output} not written: no run of the {args.report} report without a '
                'committed row has results yet (run them, or point --run-dir at their work dirs)'
            )
            return code or 1
        save_text(args.output, render_table_report(runs, args, invocation))
        print(f'wrote {args.output}')
        return code
    if not args.figures_only:
        # --only selects what runs and what the report shows (e.g. a larger BSDS subset for a
        # few configs, written to its own --output); without it the report lists every run.
        save_text(args.output, render(runs, args, invocation))
        print(f'wrote {args.output}')
    # The figures belong to the report that shows their runs (not, say, a faithful-40k one).
    if not args.table_only and {name for _, name in FIGURE_RUNS} <= {run.name for run in runs}:
        for path in draw_figures(args, Path(args.assets)):
            print(f'wrote {path} ({path.stat().st_size // 1024} KB)')
    return code


if __name__ == '__main__':
    sys.exit(main())
