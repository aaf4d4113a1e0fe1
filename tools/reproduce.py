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
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
EVAL_TOOL = 'tools/evaluate_config.py'
RESULTS_JSON = 'eval_results.json'
DEFAULT_OUTPUT = 'docs/results.md'


@dataclass(frozen=True)
class Run:
    """One row of the report: a config on one dataset."""

    config: str  # relative to the repository root
    method: str  # the weighting (and mu)
    extractor: str
    dataset: str  # 'bsds500' | 'voc2012' | 'cocostuff27'
    by_default: bool = True  # False: too slow for a CPU report; run only when --only names it

    @property
    def name(self) -> str:
        return Path(self.config).stem


KIM, SCF, FSF = 'Kim et al., fixed mu=1', 'DynaSeg-SCF, mu=50', 'DynaSeg-FSF, mu=15'
CNN2, CNN3, RESNET = 'CNN M=2', 'CNN M=3', 'ResNet-18+FPN (random init)'
RUNS: tuple[Run, ...] = (
    Run('configs/kim/kim-fixed_cnn-m2_fast_bsds500.py', KIM, CNN2, 'bsds500'),
    Run('configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500.py', SCF, CNN2, 'bsds500'),
    Run('configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500_no-silhouette.py', SCF, CNN2, 'bsds500'),
    Run('configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py', FSF, CNN2, 'bsds500'),
    Run('configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_no-silhouette.py', FSF, CNN2, 'bsds500'),
    Run('configs/kim/kim-fixed_resnet18-fpn_fast_bsds500.py', KIM, RESNET, 'bsds500'),
    Run('configs/dynaseg/dynaseg-scf_resnet18-fpn_fast_bsds500.py', SCF, RESNET, 'bsds500'),
    Run(
        'configs/dynaseg/dynaseg-scf_resnet18-fpn_fast_bsds500_no-silhouette.py',
        SCF,
        RESNET,
        'bsds500',
    ),
    Run('configs/dynaseg/dynaseg-fsf_resnet18-fpn_fast_bsds500.py', FSF, RESNET, 'bsds500'),
    Run(
        'configs/dynaseg/dynaseg-fsf_resnet18-fpn_fast_bsds500_no-silhouette.py',
        FSF,
        RESNET,
        'bsds500',
    ),
    Run('configs/kim/kim-fixed_cnn-m2_fast_voc2012.py', KIM, CNN2, 'voc2012'),
    Run('configs/dynaseg/dynaseg-scf_cnn-m2_fast_voc2012.py', SCF, CNN2, 'voc2012'),
    Run('configs/dynaseg/dynaseg-fsf_cnn-m2_fast_voc2012.py', FSF, CNN2, 'voc2012'),
    Run('configs/dynaseg/dynaseg-scf_cnn-m3_fast_coco-stuff27.py', SCF, CNN3, 'cocostuff27'),
    Run('configs/dynaseg/dynaseg-fsf_cnn-m3_fast_coco-stuff27.py', FSF, CNN3, 'cocostuff27'),
    # The authors' 1000-iteration loop at <= 40k pixels: about 4 CPU-minutes per image and config.
    *(
        Run(config, method, CNN2, 'bsds500', by_default=False)
        for config, method in (
            ('configs/kim/kim-fixed_cnn-m2_faithful-40k_bsds500.py', KIM),
            ('configs/dynaseg/dynaseg-scf_cnn-m2_faithful-40k_bsds500.py', SCF),
            ('configs/dynaseg/dynaseg-fsf_cnn-m2_faithful-40k_bsds500.py', FSF),
        )
    ),
)

#: Published numbers (not produced here), with their source; see /work/shared/notes/dynaseg.md.
PUBLISHED: dict[str, list[tuple[str, str, str]]] = {
    'bsds500': [
        (
            'Kim et al. (TIP 2020)',
            'all / fine / coarse 0.3050 / 0.2592 / 0.3739; 200 test images, 1000 iterations',
            'maintainer, kanezaki/pytorch-unsupervised-segmentation-tip#6',
        ),
        (
            'DynaSeg-FSF (paper)',
            'all / fine / coarse 0.349 / 0.307 / 0.420',
            "authors' DynaGuide README",
        ),
    ],
    'voc2012': [
        (
            'Kim et al. (TIP 2020)',
            'mIoU 0.3520 (0.6174 with scribbles); object masks, where a '
            'blank prediction scores 0.2972',
            'maintainer, kanezaki/pytorch-unsupervised-segmentation-tip#6',
        ),
        ('DynaSeg-SCF (paper)', 'mIoU 0.396', "authors' DynaGuide README"),
    ],
    'cocostuff27': [
        (
            'DynaSeg-FSF (paper)',
            'protocol (b): COCO-All mIoU 30.51, COCO-Stuff mIoU 54.10, pixel '
            'accuracy 81.1 -- **with an oracle epoch choice** (each image keeps its best epoch as '
            'judged against ground truth), 2,175 curated images',
            "authors' DynaGuide README",
        ),
        ('PiCIE / STEGO ViT-B', 'protocol (a): mIoU 13.84 / 28.2', 'PiCIE#3, STEGO#3'),
    ],
}


# ----------------------------------------------------------------------------- subsets


@dataclass(frozen=True)
class Subset:
    """Which images a run covers: a work-dir name, a description and the config overrides."""

    tag: str
    description: str
    options: dict[str, str]
    size: int | None  # the images the subset should have (None: whatever is present)


def bsds_test_ids(data_root: Path) -> list[str]:
    """The BSDS500 test ids as :class:`BSDS500Dataset` lists them: sorted .mat stems."""
    gt = data_root / 'bsds500' / 'groundTruth' / 'test'
    ids = sorted(p.stem for p in gt.glob('*.mat'))
    return ids or sorted(p.stem for p in (data_root / 'bsds500' / 'images' / 'test').glob('*.jpg'))


def bsds_subset(data_root: Path, images: int, ids: Sequence[str] | None) -> Subset:
    """The first ``images`` sorted test ids (0: all), or exactly ``ids``, as dataset indices."""
    listed = bsds_test_ids(data_root)
    if ids:
        unknown = [i for i in ids if i not in listed]
        if unknown:
            raise SystemExit(f'error: not BSDS500 test ids: {" ".join(unknown)}')
        indices = sorted(listed.index(i) for i in ids)
        digest = hashlib.sha1(' '.join(sorted(ids)).encode()).hexdigest()[:8]
        return Subset(
            f'test_ids{len(ids)}-{digest}',
            f'{len(ids)} given ids: {" ".join(listed[i] for i in indices)}',
            {'dataset.indices': '[' + ','.join(map(str, indices)) + ']'},
            len(ids),
        )
    if images <= 0 or images >= len(listed):
        return Subset('test_all', f'all {len(listed)} test images', {}, len(listed))
    return Subset(
        f'test_first{images}',
        f'the first {images} ids of the sorted test list ({" ".join(listed[:images])})',
        {'dataset.indices': str(images)},
        images,
    )


def coco_present_list(data_root: Path, work_dir: Path, write: bool) -> tuple[Path, list[str], int]:
    """Write (if ``write``) the list of val2017 images present with labels; also count how many
    of them are in the curated 2,175-id list. Returns (list path, ids, in-curated count)."""
    root = data_root / 'cocostuff'
    ids = sorted(
        p.stem
        for p in (root / 'images' / 'val2017').glob('*.jpg')
        if (root / 'stuffthingmaps_trainval2017' / 'val2017' / f'{p.stem}.png').is_file()
    )
    curated_file = root / 'curated' / 'val2017' / 'Coco164kFull_Stuff_Coarse_7.txt'
    curated = set(curated_file.read_text().split()) if curated_file.is_file() else set()
    path = (work_dir / 'lists' / 'cocostuff27_val2017_present.txt').resolve()
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(''.join(f'{i}\n' for i in ids))
    return path, ids, sum(i in curated for i in ids)


def subset_for(dataset: str, args: argparse.Namespace, write: bool = False) -> Subset:
    """The fixed subset every run on ``dataset`` uses (it depends on the dataset alone)."""
    data_root = Path(args.data_root)
    if dataset == 'bsds500':
        return bsds_subset(data_root, args.images, args.ids)
    if dataset == 'voc2012':
        listed = data_root / 'voc2012' / 'ImageSets' / 'Segmentation' / 'val_with_images.txt'
        n = len(listed.read_text().split()) if listed.is_file() else None
        return Subset(
            'val_with_images',
            f'the {n or "(list missing)"} val images whose JPEG is '
            'present (ImageSets/Segmentation/val_with_images.txt)',
            {'dataset.split': 'val_with_images'},
            n,
        )
    path, ids, in_curated = coco_present_list(data_root, Path(args.work_dir), write)
    return Subset(
        'val2017_present',
        f'the {len(ids)} val2017 images present with labels '
        f'({" ".join(ids)}); {in_curated} of them in the curated 2,175-id list',
        {'dataset.list_file': str(path)},
        len(ids),
    )


def work_dir_for(run: Run, subset: Subset, work_root: str) -> Path:
    return Path(work_root) / run.name / subset.tag


def run_options(args: argparse.Namespace) -> list[str]:
    """``--device`` / ``--threads`` as both reproduce.py and evaluate_config.py take them."""
    options = ['--device', args.device] if args.device != 'cpu' else []
    return options + (['--threads', str(args.threads)] if args.threads else [])


def command_for(
    run: Run, subset: Subset, args: argparse.Namespace, score_only: bool = False
) -> list[str]:
    """The tools/evaluate_config.py command of one run (what is executed and what is reported);
    ``score_only`` adds ``--limit 0``: score the predictions present, segment nothing."""
    data_root = Path(args.data_root) / {'cocostuff27': 'cocostuff'}.get(run.dataset, run.dataset)
    command = [
        'python',
        EVAL_TOOL,
        '--config',
        run.config,
        '--data-root',
        str(data_root),
        '--work-dir',
        str(work_dir_for(run, subset, args.work_dir)),
    ]
    command += run_options(args)
    if score_only:
        command += ['--limit', '0']
    options = dict(subset.options, **dict(o.split('=', 1) for o in args.cfg_options))
    if options:
        command += ['--cfg-options', *(f'{k}={v}' for k, v in options.items())]
    return command


def selected_runs(only: Sequence[str] | None) -> list[Run]:
    if not only:
        return [r for r in RUNS if r.by_default]
    runs = [r for r in RUNS if any(fnmatch.fnmatch(r.name, p) or p == r.name for p in only)]
    if not runs:
        raise SystemExit(
            f'error: --only {" ".join(only)} matches none of: ' + ' '.join(r.name for r in RUNS)
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


def schedule_text(model: dict[str, Any]) -> str:
    """The resolution / schedule of a run, from the model config saved in its records."""
    s = model.get('schedule') or {}
    if s.get('coarse_max_pixels'):
        return (
            f'fast: <= {s["coarse_max_pixels"]:,} px until q stable {s.get("patience")} it '
            f'(max {s.get("max_iters")}, stop q <= {s.get("min_labels")}), refine '
            f'{s.get("refine_iters", 0)} it, label at <= {s.get("max_pixels", 0):,} px'
        )
    size = f'<= {s["max_pixels"]:,} px' if s.get('max_pixels') else 'full size'
    return f'{size}, up to {s.get("max_iters")} it, stop q <= {s.get("min_labels")}'


def model_config(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    """The run's model config as the runner will see it (the config plus --cfg-options)."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(REPO_ROOT / run.config))
    options = dict(o.split('=', 1) for o in args.cfg_options)
    model_options = {k: v for k, v in options.items() if k.startswith('model.')}
    if model_options:
        from mmengine.config import DictAction

        cfg.merge_from_dict({k: DictAction._parse_iterable(v) for k, v in model_options.items()})
    return cfg.model.to_dict()


def run_summary(run: Run, work_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Counts, timings and label counts of one run (from its outputs), schedule from its config."""
    results = read_results(work_dir)
    records = read_records(work_dir)
    model = model_config(run, args)
    sil = (model.get('silhouette') or {}).get('enabled', False)
    return {
        'results': results,
        'scored': results['counts']['scored'] if results else 0,
        'seconds': _mean([r['seconds'] for r in records if 'seconds' in r]),
        'iterations': _mean([r['iterations'] for r in records if 'iterations' in r]),
        'labels': _mean([r['num_labels'] for r in records if 'num_labels' in r]),
        'schedule': schedule_text(model),
        'silhouette': 'yes' if sil else 'no',
    }


# ----------------------------------------------------------------------------- the report


def _status(summary: dict[str, Any], subset: Subset, command: list[str]) -> str | None:
    """None if the run is complete, else what the row says instead of (or beside) numbers."""
    if summary['results'] is None or summary['scored'] == 0:
        return f'not run: `{shlex.join(command)}`'
    if subset.size is not None and summary['scored'] < subset.size:
        return (
            f'partial: {summary["scored"]} of {subset.size} scored; resume with '
            f'`{shlex.join(command)}`'
        )
    return None


def _metric(results: dict[str, Any] | None, prefix: str, key: str) -> Any:
    return ((results or {}).get('metrics', {}).get(prefix) or {}).get(key)


def _bsds_region_prefix(results: dict[str, Any] | None) -> str:
    for prefix, scores in (results or {}).get('metrics', {}).items():
        if 'PRI' in scores:
            return prefix
    return ''


def table_rows(
    runs: Sequence[Run],
    args: argparse.Namespace,
    dataset: str,
) -> tuple[list[str], list[str]]:
    """Markdown rows of one dataset's table and the notes on rows not complete."""
    rows, notes = [], []
    for run in (r for r in runs if r.dataset == dataset):
        subset = subset_for(run.dataset, args)
        summary = run_summary(run, work_dir_for(run, subset, args.work_dir), args)
        res = summary['results']
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
        head = [run.method, run.extractor, summary['silhouette'], n]
        if dataset == 'bsds500':
            region = _bsds_region_prefix(res)
            values = [_f(_metric(res, p, 'mIoU')) for p in ('all', 'fine', 'coarse')]
            values += [_f(_metric(res, region, k), 3) for k in ('PRI', 'VOI', 'covering')]
            rows.append('| ' + ' | '.join(head + values + [timing, summary['schedule']]) + ' |')
        elif dataset == 'voc2012':
            rows.append(
                '| '
                + ' | '.join(head + [_f(_metric(res, 'voc', 'mIoU')), timing, summary['schedule']])
                + ' |'
            )
        else:
            values = []
            for prefix in ('a_dataset', 'b_per_image', 'c_per_image_summed'):
                values.append(
                    ' / '.join(
                        _f(_metric(res, prefix, k), 2, 100)
                        for k in ('mIoU', 'thing_mIoU', 'stuff_mIoU', 'pixel_accuracy')
                    )
                )
            rows.append('| ' + ' | '.join(head + values + [timing, summary['schedule']]) + ' |')
    return rows, notes


def voc_gt_kind(data_root: Path) -> str:
    """Which VOC masks the dataset resolves to ('object' or 'class')."""
    sys.path.insert(0, str(REPO_ROOT))
    from dynaseg.datasets.voc import VOC2012SegmentDataset

    dataset = VOC2012SegmentDataset(
        data_root=str(data_root / 'voc2012'),
        split='val_with_images',
        on_missing='skip',
        lazy_init=True,
    )
    return dataset.resolved_gt_kind()


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
        args.data_root,
        '--work-dir',
        args.work_dir,
    ]
    command += ['--ids', *args.ids] if args.ids else ['--images', str(args.images)]
    command += run_options(args)
    if args.cfg_options:
        command += ['--cfg-options', *args.cfg_options]
    if args.only:
        command += ['--only', *args.only]
    if args.output != DEFAULT_OUTPUT:
        command += ['--output', args.output]
    return shlex.join(command)


#: Per dataset, in report order: its heading, the paragraph under it, the table header.
SECTIONS: dict[str, tuple[str, str, str]] = {
    'bsds500': (
        'BSDS500 test',
        "Kim et al.'s best-match segment mIoU (modes: all annotations / fine / coarse) "
        'and the BSDS region benchmarks (PRI, VOI, segmentation covering).',
        '| method | extractor | Silhouette | images | all | fine | coarse | PRI | VOI '
        '| covering | run | schedule |',
    ),
    'voc2012': (
        'PASCAL VOC 2012 val',
        'Kim metric, **{gt_kind} masks** (object masks are used when '
        "SegmentationObject/ exists, class masks otherwise): Kim et al.'s "
        'blank-prediction baseline of 0.2972 was computed with object masks, so with '
        'class masks these numbers are not directly comparable with theirs.',
        '| method | extractor | Silhouette | images | mIoU | run | schedule |',
    ),
    'cocostuff27': (
        'COCO-Stuff-27 val2017',
        'Each cell: mIoU / thing mIoU / stuff mIoU / pixel accuracy, in percent. '
        'Protocols: (a) dataset-level Hungarian match; (b) Hungarian per image, averaged '
        'over images; (c) per-image match, counts summed over the set. No epoch or '
        'prediction is chosen with the ground truth.',
        '| method | extractor | Silhouette | images | (a) dataset | (b) per image '
        '| (c) per image, summed | run | schedule |',
    ),
}


def _section(
    runs: Sequence[Run], args: argparse.Namespace, dataset: str, intro: list[str], header: str
) -> list[str]:
    """One dataset's table: the intro, the header, the rows and notes, the published values."""
    rows, notes = table_rows(runs, args, dataset)
    columns = header.count('|') - 1
    lines = [*intro, '', header, '|' + '---|' * columns, *rows, '', *notes, '']
    where = {'bsds500': '200 test images', 'voc2012': 'VOC2012 val'}.get(dataset)
    lines += [f'Published ({where + ", " if where else ""}not run here):', '']
    lines += [f'- {who}: {what} ({src})' for who, what, src in PUBLISHED[dataset]]
    return [*lines, '']


SCHEDULE_NOTES = {
    'fast': (
        'uses the fast schedule (optimise at about 40k pixels until the label count has been '
        'stable for 40 iterations, then label the full image with one forward pass) instead '
        "of the authors' up to 1000 full-resolution iterations: it is the project's default, "
        'what makes a 2-core CPU practical, and since the coarse score is decided by how many '
        'labels remain, stopping earlier leaves more labels (higher all/fine, lower coarse).'
    ),
    'faithful-40k': (
        "runs the authors' loop (up to 1000 iterations, stop at 3 labels, no early stop) at a "
        'working size of at most 40k pixels (about half the side of a BSDS500 image), its '
        'labels upsampled to full size: the published runs were at full resolution, about '
        'four times the work per iteration.'
    ),
}


def _schedule_of(run: Run) -> str:
    return run.name.split('_')[2]  # <method>_<extractor>_<schedule>_<dataset>[_ablation]


def _differences(
    runs: Sequence[Run], datasets: set[str], args: argparse.Namespace, gt_kind: str
) -> str:
    """The paragraph on what differs from the published setting, for the runs shown."""
    sizes = []
    bsds = subset_for('bsds500', args)
    whole_bsds = bsds.tag == 'test_all'
    if 'bsds500' in datasets:
        sizes.append(
            f"{bsds.description.split(' (')[0]} of BSDS500's 200"
            if not whole_bsds
            else 'the whole BSDS500 test set'
        )
    for dataset, what in (('voc2012', 'VOC'), ('cocostuff27', 'COCO')):
        if dataset in datasets:
            size = subset_for(dataset, args).size
            sizes.append(f'{size} {what} images')
    small = not (whole_bsds and datasets == {'bsds500'})
    text = (
        (
            f'These are small, fixed subsets ({"; ".join(sizes)}) chosen before any result '
            'existed, and each image is segmented once (seed 0), so a difference of a few '
            'hundredths between rows is within subset and seed noise. '
            if small
            else 'This is the whole BSDS500 test set, each image segmented once (seed 0). '
        )
        + ' '.join(
            f'Every {schedule} run {SCHEDULE_NOTES[schedule]}'
            for schedule in sorted({_schedule_of(run) for run in runs})
        )
        + ' Predictions are scored once, as produced: no best epoch is chosen against the '
        "ground truth, unlike the published DynaSeg COCO numbers (oracle), and the authors' "
        'code defects listed in the notes (detached continuity loss, Silhouette phase never '
        'called) are not reproduced.'
    )
    if any(run.extractor == RESNET for run in runs):
        text += ' The ResNet-18+FPN extractor is randomly initialised (no checkpoint offline).'
    if 'bsds500' in datasets:
        text += (
            " Kim et al.'s rows have no Silhouette variant: the phase only floors q in w(q), "
            'which a fixed weight ignores, so with and without it they are the same run.'
        )
    if 'voc2012' in datasets or 'cocostuff27' in datasets:
        text += (
            f' VOC is scored with {gt_kind} masks, not the object masks of '
            "Kim et al.'s setting, and COCO with the few images present, most of which are not "
            'in the curated list, so neither is comparable with the published values beyond '
            'a sanity check.'
        )
    return text


def render(runs: Sequence[Run], args: argparse.Namespace, command: str) -> str:
    """The report for ``runs``: one section per dataset they cover, then the commands."""
    data_root = Path(args.data_root)
    datasets = {run.dataset for run in runs}
    gt_kind = 'class'
    if 'voc2012' in datasets:
        try:
            gt_kind = voc_gt_kind(data_root)
        except Exception as err:  # the dataset may be absent: say so rather than guess
            gt_kind = f'unknown ({type(err).__name__})'
    lines = [
        '# Reproduction results',
        '',
        f'Generated by `{command}` on {time.strftime("%Y-%m-%d")}; every number in the tables '
        'below (not the published ones) is read from an `eval_results.json` written by '
        '`tools/evaluate_config.py`'
        + (
            ' (`--score-only`: the predictions had been made by '
            'the commands at the end, then scored)'
            if args.score_only
            else ''
        )
        + '. Machine: '
        + (args.machine or machine_text(args.threads))
        + '.',
        '',
        'Columns: Silhouette = the Silhouette phase lower-bounds q; images = scored / in the '
        'subset; "run" = mean over images of iterations, final label count and segmentation '
        'seconds.',
        '',
    ]
    for dataset in (d for d in SECTIONS if d in datasets):
        title, intro, header = SECTIONS[dataset]
        description = subset_for(dataset, args).description
        intro = intro.format(gt_kind=gt_kind)
        lines += _section(runs, args, dataset, [f'## {title} -- {description}', '', intro], header)
    lines += [
        '## What differs from the published setting, and why',
        '',
        _differences(runs, datasets, args, gt_kind),
        '',
        '## Commands',
        '',
        'Everything (resumable: rerunning skips the images already segmented, then re-scores):',
        '',
        '```',
        regenerate_command(args),
        '```',
        '',
        'which runs each of these in turn:',
        '',
        '```',
    ]
    for run in runs:
        subset = subset_for(run.dataset, args)
        lines.append(shlex.join(command_for(run, subset, args)))
    lines += ['```', '']
    if {name for _, name in FIGURE_RUNS} <= {run.name for run in runs}:
        lines += [
            'Figures: `assets/qualitative_bsds500.png` (image | SCF | FSF | Kim | one '
            'human annotation) and `assets/label_count_loss.png` (label count and loss per '
            'iteration of the coarse stage), drawn from the label maps and records of the runs '
            'above.',
            '',
        ]
    return '\n'.join(lines)


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

    from dynaseg.evaluation.functional import load_bsds_ground_truth, read_label_map
    from dynaseg.visualization import colorize_labels, make_grid, plot_history

    subset = bsds_subset(Path(args.data_root), args.images, args.ids)
    dirs = {
        title: work_dir_for(_run_named(name), subset, args.work_dir) for title, name in FIGURE_RUNS
    }
    listed = bsds_test_ids(Path(args.data_root))
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

    bsds = Path(args.data_root) / 'bsds500'
    grid_rows = []
    for img_id in ids[:n_images]:
        with Image.open(bsds / 'images' / 'test' / f'{img_id}.jpg') as jpeg:
            image = np.asarray(jpeg.convert('RGB'))
        panels = [shrink(image, False)]
        panels += [
            shrink(colorize_labels(read_label_map(dirs[t] / 'preds' / f'{img_id}.png')), True)
            for t, _ in FIGURE_RUNS
        ]
        gt = load_bsds_ground_truth(bsds / 'groundTruth' / 'test' / f'{img_id}.mat')[0]
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
        '--data-root', required=True, help='folder holding bsds500/, voc2012/ and cocostuff/'
    )
    parser.add_argument('--work-dir', default='work_dirs/reproduce')
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        '--images',
        type=int,
        default=10,
        help='BSDS500: the first N sorted test ids (0: all 200; default 10)',
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
    parser.add_argument('--threads', type=int, help='torch CPU threads per run')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu', help='for every run')
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
    parser.add_argument('--output', default=DEFAULT_OUTPUT, help='the report to write')
    parser.add_argument('--assets', default='assets', help='where the figures go')
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    runs = selected_runs(args.only)
    given = sys.argv[1:] if argv is None else list(argv)
    invocation = shlex.join(['python', 'tools/reproduce.py', *given])
    if args.dry_run:
        for run in runs:
            print(shlex.join(command_for(run, subset_for(run.dataset, args), args)))
        return 0
    code = 0
    if not (args.table_only or args.figures_only):
        for run in runs:
            command = command_for(
                run, subset_for(run.dataset, args, write=True), args, args.score_only
            )
            print(f'$ {shlex.join(command)}', flush=True)
            start = time.monotonic()
            # The tool by absolute path, from the caller's directory (relative work dirs hold).
            rc = subprocess.call([sys.executable, str(REPO_ROOT / EVAL_TOOL), *command[2:]])
            print(f'{run.name}: exit {rc} after {time.monotonic() - start:.0f} s', flush=True)
            code = code or rc
    if not args.figures_only:
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        # --only selects what runs and what the report shows (e.g. a larger BSDS subset for a
        # few configs, written to its own --output); without it the report lists every run.
        output.write_text(render(runs, args, invocation), encoding='utf-8')
        print(f'wrote {output}')
    if not args.table_only:
        for path in draw_figures(args, Path(args.assets)):
            print(f'wrote {path} ({path.stat().st_size // 1024} KB)')
    return code


if __name__ == '__main__':
    sys.exit(main())
