"""The classical rows of the hierarchy benchmark and the report rendered from its records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dynaseg.cli.hierarchy_baselines import main
from dynaseg.evaluation.functional.bsds_records import evaluate_ucm2
from dynaseg.evaluation.functional.io import load_bsds_ground_truth
from dynaseg.hierarchy import RegionHierarchy
from dynaseg.reports import hierarchy as report
from dynaseg.testing import make_bsds

IDS = ['1001', '1002', '1003']


def bsds(tmp_path: Path, split: str = 'test') -> Path:
    return make_bsds(tmp_path / 'data' / 'bsds500', IDS, size=(30, 40), split=split).parent


def test_each_method_writes_what_the_benchmark_reads_and_resumes(tmp_path: Path):
    root = bsds(tmp_path)
    for method in ('fh-set', 'colour-tree', 'watershed-colour'):
        out = tmp_path / method
        assert main(['--method', method, '--data-root', str(root), '--out', str(out)]) == 0
        files = sorted(out.glob('*.npz'))
        assert [f.stem for f in files] == IDS
        data = np.load(files[0])
        if method == 'fh-set':
            assert data['segs'].shape == (12, 30, 40) and data['segs'].min() >= 1
            continue
        ucm2 = data['ucm2']
        assert ucm2.shape == (61, 81) and 0 <= ucm2.min() and ucm2.max() <= 1
        tree = RegionHierarchy.from_ucm2(ucm2)
        assert len(np.unique(tree.cut_regions(2))) == 2
        # A rerun skips what exists.
        stamp = files[0].stat().st_mtime_ns
        assert main(['--method', method, '--data-root', str(root), '--out', str(out)]) == 0
        assert files[0].stat().st_mtime_ns == stamp
    assert main(['--method', 'fh-set', '--data-root', str(tmp_path / 'none'), '--out', 'x']) == 2


def write_records(results: Path, name: str, split: str, root: Path) -> list[dict]:
    """Region records of each image's colour tree, as the benchmark tool writes them."""
    out = results.parent / f'{name}_{split}_trees'
    main(['--method', 'colour-tree', '--split', split, '--data-root', str(root), '--out', str(out)])
    records = []
    for img_id in IDS:
        gts = load_bsds_ground_truth(root / 'bsds500' / 'groundTruth' / split / f'{img_id}.mat')
        ucm2 = np.load(out / f'{img_id}.npz')['ucm2']
        records.append(evaluate_ucm2(ucm2, gts, None, 9, parts=['region'], image=img_id))
    folder = results.parent / f'bench_{name}_{split}'
    folder.mkdir(parents=True)
    for record in records:
        (folder / f'{record["image"]}.json').write_text(json.dumps(record))
    report.collect(name, split, folder, results)
    return records


def test_report_scores_the_val_chosen_level_on_test_and_pairs_it_with_fh(tmp_path: Path):
    results, baselines = tmp_path / 'results', tmp_path / 'baselines'
    val_root, test_root = bsds(tmp_path / 'v', 'val'), bsds(tmp_path / 't', 'test')
    write_records(results, 'default', 'val', val_root)
    test = write_records(results, 'default', 'test', test_root)
    baselines.mkdir()
    fh = {'bsds/covering': 0.5, 'bsds/PRI': 0.7, 'bsds/VOI': 2.0}
    for name in report.FH_PER_METRIC.values():
        rows = [dict(img_id=i, **fh) for i in IDS]
        (baselines / f'{name}.json').write_text(json.dumps({'images': rows}))
    text = report.render(results, baselines)
    assert report.ROWS[0].label in text and '| 3 | 9 |' in text
    assert 'not run' in text  # rows whose records are not committed say so
    pick = report.val_choice(report.summarise(report.read('default', 'val', results)))
    index = pick['covering']
    covering = sum(r['region']['cnt_r'][index] for r in test) / sum(
        r['region']['sum_r'][index] for r in test
    )
    line = next(row for row in text.splitlines() if row.startswith('| covering |'))
    assert f'{covering:.3f} [' in line
    assert f'{covering - 0.5:+.3f} [' in line  # paired with FH's per-image covering of 0.5
