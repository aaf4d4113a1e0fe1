"""The hierarchy report: BSDS500 test-200, the region and boundary benchmark at ODS and OIS for
every row, and the default's hierarchy at levels chosen on val, with intervals.

It is rendered only from committed per-image benchmark records, ``docs/results/hierarchy/
<row>_<split>.jsonl`` (one ``dynaseg-miou --bsds-bench`` record per line), and, for the paired
intervals against the classical segmenters chosen per metric, from the baselines report's
per-image results (``docs/results/baselines/*.json``)::

    python tools/hierarchy_report.py --collect default_test=work_dirs/hier_bench_test ...
    python tools/hierarchy_report.py            # docs/results/hierarchy.md from the records
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dynaseg.evaluation.bootstrap import bootstrap_ci, paired_bootstrap_ci
from dynaseg.evaluation.bsds_folder import load_records
from dynaseg.evaluation.functional.bsds_records import summarise

from .stamp import stamp_text

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS = REPO_ROOT / 'docs' / 'results' / 'hierarchy'
BASELINES = REPO_ROOT / 'docs' / 'results' / 'baselines'
OUTPUT = REPO_ROOT / 'docs' / 'results' / 'hierarchy.md'


@dataclass(frozen=True)
class Row:
    """One row: its records are ``<RESULTS>/<name>_<split>.jsonl``; ``command`` made them."""

    name: str
    label: str
    command: str


ROWS = (
    Row(
        'default',
        'DynaSeg default, its hierarchy (volume watershed of unit-response distances)',
        'dynaseg-evaluate --split test (hierarchies in preds/hierarchies/)',
    ),
    Row(
        'fh-set',
        'Felzenszwalb-Huttenlocher as a set: 12 scales 100-8000, sigma 0.8, min 100',
        'tools/hierarchy_baselines.py --method fh-set',
    ),
    Row(
        'colour-dynaseg-leaves',
        "the same tree on DynaSeg's finest level, mean Lab colour instead of the response",
        'tools/hierarchy_baselines.py --method colour-tree --leaves <default preds>',
    ),
    Row(
        'colour-fh-leaves',
        'the same tree on FH fine regions (scale 100), mean Lab colour: no DynaSeg at all',
        'tools/hierarchy_baselines.py --method colour-tree --leaves fh',
    ),
    Row(
        'colour-kmeans-refined-leaves',
        "the same colour tree on k-means (8 colours) + the default's FH refiners: no optimisation",
        'tools/hierarchy_baselines.py --method colour-tree '
        '--leaves <kmeans_bsds500_fh-refined preds>',
    ),
    Row(
        'colour-fh-refined-leaves',
        "the same colour tree on FH 300/0.5/30 + the default's FH refiners: no optimisation",
        'tools/hierarchy_baselines.py --method colour-tree '
        '--leaves <felzenszwalb_bsds500_fh-refined preds>',
    ),
    Row(
        'watershed-colour',
        'watershed hierarchy by volume of the pixels on the Lab gradient (higra), first 50 images',
        'tools/hierarchy_baselines.py --method watershed-colour --images 50',
    ),
)

#: Published BSDS500 test rows (ODS / OIS), Arbeláez et al., TPAMI 2011, Table 2 and Fig. 17:
#: not run here. Columns: covering, PRI, VOI, boundary F, boundary AP.
PUBLISHED = (
    ('human', (0.72, 0.72), (0.88, 0.88), (1.17, 1.17), (0.80, None), None),
    ('gPb-owt-ucm', (0.59, 0.65), (0.83, 0.86), (1.69, 1.48), (0.73, 0.76), 0.73),
    ('mean shift', (0.54, 0.58), (0.79, 0.81), (1.85, 1.64), (0.64, 0.68), 0.56),
    ('Felzenszwalb-Huttenlocher', (0.52, 0.57), (0.80, 0.82), (2.21, 1.87), (0.61, 0.64), 0.56),
)

#: The FH label maps chosen on the first 50 val images for each metric (baselines report).
FH_PER_METRIC = {
    'covering': 'felzenszwalb_bsds500_scale1000.0_min-size100',
    'pri': 'felzenszwalb_bsds500_scale600.0_min-size100',
    'voi': 'felzenszwalb_bsds500_scale1000.0_sigma0.8_min-size100',
}
FH_KEYS = {'covering': 'bsds/covering', 'pri': 'bsds/PRI', 'voi': 'bsds/VOI'}


def records_path(name: str, split: str, results: Path = RESULTS) -> Path:
    return results / f'{name}_{split}.jsonl'


def collect(name: str, split: str, bench_dir: Path, results: Path = RESULTS) -> Path:
    """Copy a ``--bench-out`` folder's per-image records into one committed JSONL file."""
    records = sorted(load_records(bench_dir), key=lambda r: str(r['image']))
    if not records:
        raise ValueError(f'no benchmark records in {bench_dir}')
    target = records_path(name, split, results)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(''.join(json.dumps(r, separators=(',', ':')) + '\n' for r in records))
    return target


def read(name: str, split: str, results: Path = RESULTS) -> list[dict[str, Any]] | None:
    path = records_path(name, split, results)
    if not path.is_file():
        return None
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def per_image_at(records: list[dict[str, Any]], index: int) -> dict[str, np.ndarray]:
    """Every image's scores at threshold ``index``: covering (and its weight, the annotated
    area), PRI, VOI, and the boundary counts."""
    region = [r['region'] for r in records]
    out = {
        'cover_num': np.array([r['cnt_r'][index] for r in region], np.float64),
        'cover_den': np.array([r['sum_r'][index] for r in region], np.float64),
        'pri': np.array([r['pri'][index] for r in region], np.float64),
        'voi': np.array([r['voi'][index] for r in region], np.float64),
    }
    if all('boundary' in r for r in records):
        for key in ('cnt_r', 'sum_r', 'cnt_p', 'sum_p'):
            out[key] = np.array([r['boundary'][key][index] for r in records], np.float64)
    return out


def val_choice(summary: dict[str, Any]) -> dict[str, int]:
    """The threshold index each region metric's ODS picked (on val)."""
    t = np.asarray(summary['thresholds'])
    pick = {
        m: int(np.argmin(np.abs(t - summary[m]['ods']['threshold'])))
        for m in ('covering', 'pri', 'voi')
    }
    return pick


def _fmt(value: float | None, digits: int = 3) -> str:
    return '' if value is None else f'{value:.{digits}f}'


def _ods_ois(summary: dict[str, Any], metric: str) -> str:
    part = summary[metric]
    return f'{part["ods"]["value"]:.3f} / {part["ois"]:.3f}'


def _boundary(name: str, results: Path) -> tuple[str, str]:
    """Boundary F (ODS / OIS) and AP of a row, from its ``<name>-boundary`` records (the
    boundary benchmark runs at fewer thresholds than the region one: it costs about 20 CPU s
    per image at 9)."""
    records = read(f'{name}-boundary', 'test', results)
    if records is None:
        return 'not run', ''
    b = summarise(records)['boundary']
    count = f' ({len(records)} images, {len(records[0]["thresholds"])} thresholds)'
    return f'{b["ods"]["f"]:.3f} / {b["ois"]["f"]:.3f}{count}', f'{b["ap"]:.3f}'


def benchmark_table(results: Path = RESULTS) -> list[str]:
    """Test-200 rows at ODS (one level for all images, picked on test, as the field reports)
    and OIS (the best level per image), then the published rows."""
    lines = [
        '| row | images | thresholds | covering ODS / OIS | PRI ODS / OIS | VOI ODS / OIS '
        '| boundary F ODS / OIS | boundary AP |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for row in ROWS:
        records = read(row.name, 'test', results)
        if records is None:
            lines.append(f'| {row.label} | not run | | | | | | |')
            continue
        s = summarise(records)
        boundary_f, boundary_ap = _boundary(row.name, results)
        lines.append(
            f'| {row.label} | {s["num_images"]} | {s["num_thresholds"]} '
            f'| {_ods_ois(s, "covering")} | {_ods_ois(s, "pri")} | {_ods_ois(s, "voi")} '
            f'| {boundary_f} | {boundary_ap} |'
        )
    for name, cover, pri, voi, bf, ap in PUBLISHED:
        lines.append(
            f'| {name} (published, not run here) | 200 | | {cover[0]:.2f} / {cover[1]:.2f} '
            f'| {pri[0]:.2f} / {pri[1]:.2f} | {voi[0]:.2f} / {voi[1]:.2f} '
            f'| {bf[0]:.2f} / {_fmt(bf[1], 2)} | {_fmt(ap, 2)} |'
        )
    return lines


def _interval(value: float, low: float, high: float, digits: int = 3) -> str:
    return f'{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]'


def _baseline(name: str, baselines: Path) -> dict[str, dict[str, Any]]:
    rows = json.loads((baselines / f'{name}.json').read_text())['images']
    return {str(r['img_id']): r for r in rows}


def val_level_table(results: Path = RESULTS, baselines: Path = BASELINES) -> list[str]:
    """The default's hierarchy cut, for each metric, at the level its ODS picked on val, scored
    on test with a bootstrap interval, and paired with the FH label maps chosen on val for that
    metric (setting minus FH; covering weighted by each image's annotated area)."""
    val, test = read('default', 'val', results), read('default', 'test', results)
    if val is None or test is None:
        return ['(the val and test records of the default are not committed yet)']
    pick = val_choice(summarise(val))
    thresholds = summarise(test)['thresholds']
    ids = [str(r['image']) for r in test]
    lines = [
        '| metric | level (chosen on val) | test-200 [95% bootstrap] | FH chosen on val for it '
        '| default minus FH [95% paired] |',
        '|---|---|---|---|---|',
    ]
    for metric in ('covering', 'pri', 'voi'):
        at = per_image_at(test, pick[metric])
        if metric == 'covering':
            values, weights = at['cover_num'] / at['cover_den'], at['cover_den']
        else:
            values, weights = at[metric], None
        ci = bootstrap_ci(values, weights)
        fh = _baseline(FH_PER_METRIC[metric], baselines)
        fh_values = np.array([fh[i][FH_KEYS[metric]] for i in ids], np.float64)
        fh_ci = bootstrap_ci(fh_values, weights)
        diff = paired_bootstrap_ci(values, fh_values, weights)
        lines.append(
            f'| {metric} | {thresholds[pick[metric]]:.2f} | {_interval(ci.value, ci.low, ci.high)} '
            f'| {_interval(fh_ci.value, fh_ci.low, fh_ci.high)} ({FH_PER_METRIC[metric]}) '
            f'| {diff.value:+.3f} [{diff.low:+.3f}, {diff.high:+.3f}] |'
        )
    return lines


def render(results: Path = RESULTS, baselines: Path = BASELINES) -> str:
    """The whole page (Markdown)."""
    from dynaseg.apis.inference import DEFAULT_CONFIG

    default = Path(DEFAULT_CONFIG).stem
    parts = [
        '# Region hierarchies on BSDS500 test',
        '',
        'Generated by `python tools/hierarchy_report.py` from the per-image benchmark records in '
        '`docs/results/hierarchy/` (`dynaseg-miou --bsds-bench`: region metrics at 99 '
        'thresholds on every image of a row; boundary matching within 0.0075 of the diagonal, '
        'by pyEdgeEval, at 9 thresholds (FH: its 12 segmentations), since it costs about 20 '
        'CPU s per image at 9; regions 8-connected as in the benchmark). Machine: 2-core x86 '
        'CPU.',
        '',
        f'- Config: `{default}`, its hierarchy `configs/_base_/hierarchies/merge.py`',
        '',
        '## The benchmark, ODS and OIS',
        '',
        'ODS picks one level for all 200 images **on test**, as the field reports it; OIS the '
        'best level of each image. How each row was made:',
        '',
        *[f'- {row.label}: `{row.command}`' for row in ROWS],
        '',
        *benchmark_table(results),
        '',
        'The thresholds column says how many levels a row was scored at: the colour trees at 25 '
        '(to fit the machine), the default at 99, which favours its OIS and, a little, its ODS; '
        'a set is scored at each of its segmentations. A "not run" row has no committed records '
        'yet: its command above makes them.',
        '',
        '![one test photo cut at four levels](../../assets/hierarchy_levels.png)',
        '',
        'One test photo, one optimisation, cut to 3, 8 and 30 regions and at the finest level '
        '(`python tools/hierarchy_report.py --figure data/bsds500/images/test/100007.jpg '
        '<work-dir>/preds/hierarchies/100007.mat assets/hierarchy_levels.png`).',
        '',
        '## The honest operating point: levels chosen on val',
        '',
        "For each metric, the level the default's ODS picked on the 100 BSDS500 val images, "
        'applied to test. FH rows: the label maps chosen on the first 50 val images for that '
        'metric (docs/results/baselines.md), paired image by image.',
        '',
        *val_level_table(results, baselines),
        '',
    ]
    return stamp_text('\n'.join(parts))


def figure(
    image: Path, hierarchy: Path, output: Path, counts: tuple[int, ...] = (3, 8, 30)
) -> None:
    """One photo and its hierarchy cut to each of ``counts`` regions and at the finest level:
    each region drawn in its mean colour, its boundaries in white."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from skimage.color import label2rgb
    from skimage.segmentation import mark_boundaries

    from dynaseg.hierarchy import load_hierarchy
    from dynaseg.utils.image_io import load_image

    rgb = load_image(image)
    tree = load_hierarchy(hierarchy)
    cuts = [(f'{k} regions', tree.cut_regions(k)) for k in counts]
    cuts.append((f'finest level: {tree.num_leaves} regions', tree.cut_level(0.0)))
    fig, axes = plt.subplots(1, len(cuts) + 1, figsize=(3.2 * (len(cuts) + 1), 2.6))
    axes[0].imshow(rgb)
    axes[0].set_title(image.stem, fontsize=9)
    for ax, (title, labels) in zip(axes[1:], cuts):
        mean = label2rgb(labels, rgb, kind='avg', bg_label=-1)
        ax.imshow(mark_boundaries(mean.astype(np.uint8), labels, color=(1, 1, 1)))
        ax.set_title(title, fontsize=9)
    for ax in axes:
        ax.axis('off')
    fig.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=90)
    plt.close(fig)
