"""tools/reproduce.py: subsets, commands, the report from eval_results.json files, the figures.

Nothing is optimised here: the runs' outputs (label maps, records, eval_results.json/pkl) are
written by hand on a tiny synthetic BSDS500 layout.
"""

from __future__ import annotations

import importlib.util
import json
import pickle
import shlex
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load(relative: str, name: str) -> ModuleType:
    path = REPO_ROOT / relative
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


reproduce = _load('tools/reproduce.py', '_dynaseg_reproduce_tool')
make_bsds = _load('tests/test_apis/test_dataset_runner.py', '_dynaseg_runner_tests').make_bsds

IDS = ['2018', '100007', '100039', '3096']  # sorted as strings: 100007 100039 2018 3096


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    make_bsds(tmp_path / 'data' / 'bsds500', IDS)
    return tmp_path / 'data'


def fake_run(work_dir: Path, ids: list[str], all_miou: float, labels: int = 3) -> None:
    """What tools/evaluate_config.py leaves behind for ``ids``, with made-up scores."""
    (work_dir / 'preds' / 'records').mkdir(parents=True)
    for k, img_id in enumerate(ids):
        pred = np.repeat(np.arange(4, dtype=np.uint8) % labels, 8)[None].repeat(24, 0)
        Image.fromarray(pred).save(work_dir / 'preds' / f'{img_id}.png')
        record = {
            'img_id': img_id,
            'num_labels': labels,
            'iterations': 50 + k,
            'seconds': 2.0,
            'history': {'n_labels': [9, 6, labels], 'loss': [3.0, 2.0, 1.5]},
            'model_config': {
                'silhouette': {'enabled': True},
                'schedule': {
                    'max_iters': 1000,
                    'min_labels': 3,
                    'patience': 40,
                    'coarse_max_pixels': 40000,
                    'refine_iters': 0,
                    'max_pixels': 500000,
                },
            },
        }
        (work_dir / 'preds' / 'records' / f'{img_id}.json').write_text(json.dumps(record))
    metrics = {
        'all': {'mIoU': all_miou},
        'fine': {'mIoU': all_miou - 0.1},
        'coarse': {'mIoU': all_miou + 0.1},
        'bsds_region': {'PRI': 0.75, 'VOI': 2.5, 'covering': 0.45},
    }
    results = {'counts': {'scored': len(ids)}, 'metrics': metrics}
    (work_dir / 'eval_results.json').write_text(json.dumps(results))
    with open(work_dir / 'eval_results.pkl', 'wb') as handle:
        pickle.dump([{'img_id': i} for i in ids], handle)


def test_subsets_are_fixed_by_sorted_ids(data_root: Path) -> None:
    first = reproduce.bsds_subset(data_root, 2, None)
    assert first.tag == 'test_first2' and first.size == 2
    assert first.options == {'dataset.indices': '2'}
    assert '100007 100039' in first.description
    given = reproduce.bsds_subset(data_root, 2, ['3096', '100007'])
    assert given.options == {'dataset.indices': '[0,3]'} and given.size == 2
    assert reproduce.bsds_subset(data_root, 0, None).tag == 'test_all'
    with pytest.raises(SystemExit):
        reproduce.bsds_subset(data_root, 2, ['999'])


def test_dry_run_lists_one_command_per_run(
    data_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / 'work'
    code = reproduce.main(
        [
            '--data-root',
            str(data_root),
            '--work-dir',
            str(work),
            '--images',
            '2',
            '--threads',
            '1',
            '--only',
            'kim-*cnn*fast_bsds500',
            'dynaseg-scf_cnn-m2_fast_bsds500',
            '--dry-run',
        ]
    )
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    args = shlex.split(lines[0])
    assert args[:4] == [
        'python',
        'tools/evaluate_config.py',
        '--config',
        'configs/kim/kim-fixed_cnn-m2_fast_bsds500.py',
    ]
    assert args[args.index('--work-dir') + 1] == str(
        work / 'kim-fixed_cnn-m2_fast_bsds500' / 'test_first2'
    )
    assert args[args.index('--data-root') + 1] == str(data_root / 'bsds500')
    assert args[-2:] == ['--cfg-options', 'dataset.indices=2']
    assert not work.exists()  # a dry run writes nothing
    args = reproduce.parse_args(['--data-root', str(data_root), '--images', '2', '--score-only'])
    run = reproduce.RUNS[0]
    scoring = reproduce.command_for(
        run, reproduce.subset_for(run.dataset, args), args, score_only=True
    )
    assert scoring[scoring.index('--limit') + 1] == '0'  # scores what is there, segments nothing
    with pytest.raises(SystemExit):
        reproduce.main(['--data-root', str(data_root), '--only', 'nothing-like-this', '--dry-run'])


def test_table_reads_results_and_marks_missing_runs(data_root: Path, tmp_path: Path) -> None:
    work = tmp_path / 'work'
    fake_run(work / 'dynaseg-scf_cnn-m2_fast_bsds500' / 'test_first2', ['100007', '100039'], 0.4321)
    fake_run(work / 'kim-fixed_cnn-m2_fast_bsds500' / 'test_first2', ['100007'], 0.1234)
    output = tmp_path / 'docs' / 'results.md'
    code = reproduce.main(
        [
            '--data-root',
            str(data_root),
            '--work-dir',
            str(work),
            '--images',
            '2',
            '--table-only',
            '--output',
            str(output),
            '--assets',
            str(tmp_path / 'a'),
        ]
    )
    assert code == 0
    text = output.read_text()
    scf = next(
        line for line in text.splitlines() if line.startswith('| DynaSeg-SCF') and '| 2/2 |' in line
    )
    assert '0.4321' in scf and '0.3321' in scf and '0.5321' in scf and '0.750' in scf
    assert '50 it' in scf and '3.0 labels' in scf and 'fast: <= 40,000 px' in scf
    # One of two images scored: partial, with the command that resumes it.
    assert '| **1/2 (partial)** |' in text
    assert '`kim-fixed_cnn-m2_fast_bsds500`: partial: 1 of 2' in text
    # Not run at all: said so, with its command; never a number.
    assert (
        '`dynaseg-fsf_cnn-m2_fast_bsds500`: not run: `python tools/evaluate_config.py '
        '--config configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py'
    ) in text
    fsf = next(
        line for line in text.splitlines() if line.startswith('| DynaSeg-FSF, mu=15 | CNN M=2')
    )
    assert '| not run |' in fsf and fsf.count('n/a') >= 6
    assert '0.3050 / 0.2592 / 0.3739' in text and 'oracle' in text  # published, marked
    assert 'python tools/reproduce.py --data-root' in text  # the exact command
    assert not (tmp_path / 'a').exists()  # --table-only draws nothing


def test_only_reports_the_selected_runs(data_root: Path, tmp_path: Path) -> None:
    # A larger BSDS subset for a few configs goes to its own report, with only their rows.
    work = tmp_path / 'work'
    fake_run(work / 'kim-fixed_cnn-m2_fast_bsds500' / 'test_first3', IDS[1:3], 0.25)
    output = tmp_path / 'first3.md'
    argv = ['--data-root', str(data_root), '--work-dir', str(work), '--images', '3']
    argv += ['--only', 'kim-fixed_cnn-m2_fast_bsds500', 'dynaseg-fsf_cnn-m2_fast_bsds500']
    argv += ['--device', 'cuda', '--machine', 'one test GPU']
    code = reproduce.main([*argv, '--table-only', '--output', str(output)])
    assert code == 0
    text = output.read_text()
    rows = [line for line in text.splitlines() if line.startswith(('| Kim', '| DynaSeg'))]
    assert len(rows) == 2
    assert '**2/3 (partial)**' in rows[0] and '0.2500' in rows[0] and '| not run |' in rows[1]
    assert '## BSDS500 test' in text and 'VOC' not in text and 'COCO-Stuff' not in text
    # The command that regenerates this report, not the default one.
    regenerate = shlex.split(text.split('Everything')[1].split('```')[1].strip())
    assert regenerate[regenerate.index('--only') + 1 :][:2] == [
        'kim-fixed_cnn-m2_fast_bsds500',
        'dynaseg-fsf_cnn-m2_fast_bsds500',
    ]
    assert regenerate[regenerate.index('--output') + 1] == str(output)
    assert '--table-only' not in regenerate
    assert regenerate[regenerate.index('--device') + 1] == 'cuda'
    assert 'Machine: one test GPU.' in text
    assert '--device cuda' in text.split('which runs each of these in turn')[1]
    assert 'assets/qualitative_bsds500.png' not in text  # its runs are not all in this report


def test_slow_runs_only_when_named(data_root: Path, tmp_path: Path) -> None:
    slow = {r.name for r in reproduce.RUNS if not r.by_default}
    assert 'kim-fixed_cnn-m2_faithful-40k_bsds500' in slow
    assert not slow & {r.name for r in reproduce.selected_runs(None)}
    assert {r.name for r in reproduce.selected_runs(['*faithful-40k*'])} == slow
    output = tmp_path / 'faithful.md'
    argv = ['--data-root', str(data_root), '--work-dir', str(tmp_path / 'w'), '--images', '2']
    reproduce.main([*argv, '--only', '*faithful-40k*', '--table-only', '--output', str(output)])
    text = output.read_text()
    # The paragraph on differences describes the schedule these rows used, not the default one.
    assert "Every faithful-40k run runs the authors' loop" in text
    assert 'Every fast run' not in text and 'ResNet' not in text


def test_figures_from_label_maps_and_records(data_root: Path, tmp_path: Path) -> None:
    work = tmp_path / 'work'
    for k, name in enumerate(
        (
            'dynaseg-scf_cnn-m2_fast_bsds500',
            'dynaseg-fsf_cnn-m2_fast_bsds500',
            'kim-fixed_cnn-m2_fast_bsds500',
        )
    ):
        fake_run(work / name / 'test_first2', ['100007', '100039'], 0.3, labels=2 + k)
    assets = tmp_path / 'assets'
    code = reproduce.main(
        [
            '--data-root',
            str(data_root),
            '--work-dir',
            str(work),
            '--images',
            '2',
            '--figures-only',
            '--assets',
            str(assets),
            '--output',
            str(tmp_path / 'unused.md'),
        ]
    )
    assert code == 0
    assert not (tmp_path / 'unused.md').exists()
    grid = np.asarray(Image.open(assets / 'qualitative_bsds500.png'))
    assert grid.ndim == 3 and grid.shape[1] > grid.shape[0]  # 5 panels side by side, 2 rows
    assert (assets / 'label_count_loss.png').stat().st_size > 1000


def test_schedule_text_names_the_working_size() -> None:
    text = reproduce.schedule_text
    assert text({'schedule': {'max_iters': 1000, 'min_labels': 3}}) == (
        'full size, up to 1000 it, stop q <= 3'
    )
    faithful_40k = {'schedule': {'max_iters': 1000, 'min_labels': 3, 'max_pixels': 40000}}
    assert text(faithful_40k) == '<= 40,000 px, up to 1000 it, stop q <= 3'
    fast = dict(max_iters=1000, min_labels=3, patience=40, coarse_max_pixels=40000)
    assert text({'schedule': {**fast, 'max_pixels': 500000}}).startswith('fast: <= 40,000 px')
