"""tools/reproduce.py (dynaseg.reports): subsets, commands, the report from the runs' results,
the results saved beside it, the figures.

Nothing is optimised here: the runs' outputs (label maps, records, eval_results.json/pkl) are
written by hand on a tiny synthetic BSDS500 layout.
"""

from __future__ import annotations

import json
import os
import pickle
import shlex
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dynaseg.cli import reproduce
from dynaseg.reports import labels, render, runs, table_report
from dynaseg.reports.provenance import REPO_ROOT, shell_line
from dynaseg.testing import make_bsds

RESULTS = runs.load_spec('results')

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
            'label_counts': [9, 6, labels],
            'losses': [3.0, 2.0, 1.5],
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


def relative(path: Path) -> str:
    """How the report prints ``path``: relative to the repository root."""
    return os.path.relpath(path, REPO_ROOT)


def absolute_paths(text: str) -> list[str]:
    """The words of ``text`` that are absolute paths (``/`` alone, as in "all / fine", is not)."""
    words = text.replace('`', ' ').replace('=', ' ').split()
    return [w for w in words if len(w) > 1 and w.lstrip('(\'"').startswith('/')]


def test_subsets_are_fixed_by_sorted_ids(data_root: Path) -> None:
    # The listing is the config's dataset class's: sorted ids with ground truth.
    dataset = runs.run_dataset(RESULTS.runs[0], data_root)
    assert [sample['img_id'] for sample in dataset.list_samples()] == sorted(IDS)
    work = data_root / 'work'
    first = dataset.report_subset(2, None, work, False)
    assert first.tag == 'test_first2' and first.size == 2
    assert first.options == {'dataset.indices': '2'}
    assert '100007 100039' in first.description
    assert first.summary == 'the first 2 ids of the sorted test list'
    given = dataset.report_subset(2, ['3096', '100007'], work, False)
    assert given.options == {'dataset.indices': '[0,3]'} and given.size == 2
    assert dataset.report_subset(0, None, work, False).tag == 'test_all'
    with pytest.raises(SystemExit):
        dataset.report_subset(2, ['999'], work, False)


def test_coco_subset_is_the_images_present_with_labels(tmp_path: Path) -> None:
    coco = tmp_path / 'data' / 'cocostuff'
    for folder in ('images/val2017', 'stuffthingmaps_trainval2017/val2017', 'curated/val2017'):
        (coco / folder).mkdir(parents=True)
    for img_id in ('000001', '000002', '000003'):
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(coco / f'images/val2017/{img_id}.jpg')
    for img_id in ('000001', '000003'):  # 000002 has no labels
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(
            coco / f'stuffthingmaps_trainval2017/val2017/{img_id}.png'
        )
    (coco / 'curated/val2017/Coco164kFull_Stuff_Coarse_7.txt').write_text('000003\n000009\n')
    run = next(r for r in RESULTS.runs if r.dataset == 'cocostuff27')
    work = tmp_path / 'work'
    args = reproduce.parse_args(['--data-root', str(tmp_path / 'data'), '--work-dir', str(work)])
    subset = runs.subset_for(run, args, write=True)
    assert subset.size == 2 and '(000001 000003); 1 of them in the curated' in subset.description
    listing = work / 'lists' / 'cocostuff27_val2017_present.txt'
    assert listing.read_text() == '000001\n000003\n'
    # The dataset reads the list from its own root, so the command names it absolutely, and
    # the printed command through the shell's $PWD: no absolute path is printed.
    command = runs.command_for(run, subset, args)
    assert f'dataset.list_file={listing}' in command
    line = shell_line(command)
    assert f'dataset.list_file="$PWD"/{relative(listing)}' in line and not absolute_paths(line)


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
    # Paths relative to the repository root, where the commands run.
    assert args[args.index('--work-dir') + 1] == relative(
        work / 'kim-fixed_cnn-m2_fast_bsds500' / 'test_first2'
    )
    assert args[args.index('--data-root') + 1] == relative(data_root / 'bsds500')
    assert args[-2:] == ['--cfg-options', 'dataset.indices=2']
    assert not work.exists()  # a dry run writes nothing
    args = reproduce.parse_args(['--data-root', str(data_root), '--images', '2', '--score-only'])
    run = RESULTS.runs[0]
    scoring = runs.command_for(run, runs.subset_for(run, args), args, score_only=True)
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
    assert regenerate[regenerate.index('--output') + 1] == relative(output)
    assert '--table-only' not in regenerate
    assert regenerate[regenerate.index('--device') + 1] == 'cuda'
    assert 'Machine: one test GPU.' in text
    assert '--device cuda' in text.split('which runs each of these in turn')[1]
    assert 'assets/qualitative_bsds500.png' not in text  # its runs are not all in this report


def test_slow_runs_only_when_named(data_root: Path, tmp_path: Path) -> None:
    slow = {r.name for r in RESULTS.runs if not r.by_default}
    assert 'kim-fixed_cnn-m2_faithful-40k_bsds500' in slow
    assert not slow & {r.name for r in runs.selected_runs(RESULTS, None)}
    assert {r.name for r in runs.selected_runs(RESULTS, ['*faithful*'])} == slow
    output = tmp_path / 'faithful.md'
    argv = ['--data-root', str(data_root), '--work-dir', str(tmp_path / 'w'), '--images', '2']
    reproduce.main([*argv, '--only', '*faithful-40k*', '--table-only', '--output', str(output)])
    text = output.read_text()
    # The paragraph on differences describes the schedule these rows used, not the default one.
    assert "Every faithful-40k run runs the authors' loop" in text
    assert 'Every fast run' not in text and 'ResNet' not in text


def per_image_rows(folder: Path, ids: list[str], miou: float) -> None:
    """Per-image scores of a fake run (eval_results.pkl), for the bootstrap intervals."""
    rows = [
        {
            'img_id': i,
            'all/mIoU': miou + 0.02 * k,
            'all/num_segments': 5 + k,
            'fine/mIoU': miou - 0.1,
            'fine/num_segments': 9,
            'coarse/mIoU': miou + 0.1,
            'coarse/num_segments': 2,
            'bsds_region/PRI': 0.7 + 0.01 * k,
            'bsds_region/VOI': 2.0,
        }
        for k, i in enumerate(ids)
    ]
    with open(folder / 'eval_results.pkl', 'wb') as handle:
        pickle.dump(rows, handle)


def test_faithful_full_rows_with_batch_size_and_bootstrap(data_root: Path, tmp_path: Path) -> None:
    # tools/device_check.sh's report: the three full-resolution faithful rows on all images.
    work = tmp_path / 'work'
    for name, miou in (('kim-fixed', 0.30), ('dynaseg-scf', 0.33), ('dynaseg-fsf', 0.35)):
        stem = f'{name}_cnn-m2_faithful_bsds500'
        folder = work / stem / 'test_all'
        fake_run(folder, IDS, miou)
        per_image_rows(folder, IDS, miou)
    output = tmp_path / 'faithful_all.md'
    argv = ['--data-root', str(data_root), '--work-dir', str(work), '--images', '0']
    argv += ['--only', '*_cnn-m2_faithful_bsds500', '--device', 'cuda', '--batch-size', '16']
    argv += ['--bootstrap', '200', '--table-only', '--output', str(output)]
    assert reproduce.main(argv) == 0
    text = output.read_text()
    assert "Every faithful run runs the authors' loop" in text
    assert 'This is the whole BSDS500 test set' in text
    table = text.split('95% bootstrap intervals')[1]
    rows = [line for line in table.splitlines() if line.startswith(('| Kim', '| DynaSeg'))]
    assert len(rows) == 3
    # Kim's pooled mIoU: per-image mIoU weighted by its segment count.
    pooled = sum((0.30 + 0.02 * k) * (5 + k) for k in range(4)) / sum(5 + k for k in range(4))
    first = rows[0].split('|')
    assert first[2].strip() == '4' and first[3].strip().startswith(f'{pooled:.4f} [')
    low, high = (float(x) for x in first[3].split('[')[1].rstrip('] ').split(','))
    assert 0.30 <= low <= pooled <= high <= 0.36
    assert '--batch-size 16' in text.split('which runs each of these in turn')[1]
    regenerate = shlex.split(text.split('Everything')[1].split('```')[1].strip())
    assert regenerate[regenerate.index('--bootstrap') + 1] == '200'


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


def test_labels_come_from_the_config_not_its_file_name(data_root: Path, tmp_path: Path) -> None:
    # Named like Kim's CNN M=2 fast config, but an FSF weighting (mu=7), M=3, no Silhouette
    # phase and the authors' loop capped at 90k pixels.
    liar = tmp_path / 'kim-fixed_cnn-m2_fast_bsds500.py'
    base = REPO_ROOT / 'configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500.py'
    liar.write_text(
        f'_base_ = [{str(base)!r}]\n'
        'model = dict(\n'
        "    loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=7.0)),\n"
        '    backbone=dict(num_convs=3),\n'
        '    silhouette=dict(enabled=False),\n'
        '    schedule=dict(_delete_=True, max_iters=1000, min_labels=3, max_pixels=90000),\n'
        ')\n'
    )
    run = runs.Run(str(liar))
    work = tmp_path / 'work'
    fake_run(work / run.name / 'test_first2', ['100007', '100039'], 0.4)
    args = reproduce.parse_args(
        ['--data-root', str(data_root), '--work-dir', str(work), '--images', '2']
    )
    text = render.render([run], args, 'python tools/reproduce.py')
    row = next(line for line in text.splitlines() if '| 2/2 |' in line)
    assert row.startswith('| DynaSeg-FSF, mu=7 | CNN M=3 | no | 2/2 | 0.4000 |')
    assert row.endswith('| <= 90,000 px, up to 1000 it, stop q <= 3 |')
    assert "Every faithful-90k run runs the authors' loop" in text
    assert 'Every fast run' not in text and 'Kim et al., fixed' not in row
    # --cfg-options on the model relabel the rows too.
    args.cfg_options = ['model.loss.weight.mu=9']
    args.results.clear()  # a new model config: its result is read again
    assert '| DynaSeg-FSF, mu=9 | CNN M=3 |' in render.render([run], args, 'python x')


def test_report_holds_no_absolute_path(data_root: Path, tmp_path: Path) -> None:
    work = tmp_path / 'work'
    fake_run(work / 'kim-fixed_cnn-m2_fast_bsds500' / 'test_first2', ['100007'], 0.2)
    output = tmp_path / 'docs' / 'report.md'
    argv = ['--data-root', str(data_root), f'--work-dir={work}', '--images', '2']
    argv += ['--only', 'kim-fixed_cnn-m2_fast_bsds500', 'dynaseg-scf_cnn-m2_fast_bsds500']
    argv += ['--table-only', '--output', str(output), '--assets', str(tmp_path / 'assets')]
    assert reproduce.main(argv) == 0
    text = output.read_text()
    assert absolute_paths(text) == [] and str(REPO_ROOT) not in text
    assert absolute_paths('a `b --c /d` e=/f') == ['/d', '/f']  # what the check would find
    # The paths given are printed relative to the repository root, in every command.
    generated = text.split('Generated by `')[1].split('`')[0]
    assert f'--work-dir={relative(work)}' in generated
    assert f'--assets {relative(tmp_path / "assets")}' in generated
    assert f'--work-dir {relative(work)} ' in text.split('Everything')[1]
    assert 'partial: 1 of 2 scored; resume with `python tools/evaluate_config.py' in text
    assert f'--data-root {relative(data_root / "bsds500")} ' in text


WARM = 'dynaseg-fsf_cnn-m2_warm-start_bsds500'
ONE_PASS = 'dynaseg-fsf_cnn-m2_one-pass_bsds500'
SCF = 'dynaseg-scf_cnn-m2_fast_bsds500'
CHECKPOINT = 'dynaseg-fsf_cnn-m2_bsds500-train_iter25.pth'


def table_row(text: str, start: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(start))
    return [cell.strip() for cell in line.strip().strip('|').split('|')]


def test_warm_start_report(data_root: Path, tmp_path: Path) -> None:
    """Every row from its work dir, the result saved beside the report, then a row computed
    from that saved result once its work dir is gone (with its intervals); the warm start
    complete with intervals, the one pass partial in a --run-dir; labels from the configs."""
    work = tmp_path / 'work'
    fake_run(work / SCF / 'test_all', IDS, 0.3111, labels=4)
    per_image_rows(work / SCF / 'test_all', IDS, 0.3111)
    fake_run(work / WARM / 'test_all', IDS, 0.33)
    per_image_rows(work / WARM / 'test_all', IDS, 0.33)
    one_pass = tmp_path / 'elsewhere' / 'one_pass'
    fake_run(one_pass, IDS[:2], 0.25)
    output = tmp_path / 'warm.md'
    argv = ['--data-root', str(data_root), '--work-dir', str(work), '--report', 'warm-start']
    argv += ['--run-dir', f'{ONE_PASS}={one_pass}', '--bootstrap', '200', '--threads', '1']
    assert reproduce.main([*argv, '--table-only', '--output', str(output)]) == 0
    first = output.read_text()
    saved = tmp_path / 'warm-start' / f'{SCF}.json'
    assert saved.is_file() and str(tmp_path) not in saved.read_text()  # no absolute path
    assert sorted(p.stem for p in saved.parent.glob('*.json')) == sorted([SCF, WARM, ONE_PASS])
    # The work dir gone, the same row is computed from the saved result, and says so.
    for path in sorted((work / SCF).rglob('*'), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert reproduce.main([*argv, '--table-only', '--output', str(output)]) == 0
    text = output.read_text()
    assert '## BSDS500 test -- all 4 test images' in text and not absolute_paths(text)
    scf_row = '| per image, random init | DynaSeg-SCF, mu=50'
    scf = table_row(text, scf_row)
    assert scf == table_row(first, scf_row)
    pooled_scf = sum((0.3111 + 0.02 * k) * (5 + k) for k in range(4)) / sum(5 + k for k in range(4))
    assert scf[4] == '4/4' and scf[5].startswith(f'{pooled_scf:.4f} [')
    assert scf[11:14] == ['4.0', '2.00', '52']
    saved_note = next(line for line in text.splitlines() if line.startswith('- Rows computed'))
    assert f'saved in `{relative(saved.parent)}/`' in saved_note
    assert f'under `{relative(work)}/` not' in saved_note and saved_note.endswith(f'`{SCF}`')
    fsf = table_row(text, '| per image, random init | DynaSeg-FSF, mu=15')
    assert fsf[4] == 'not run' and fsf.count('n/a') == 9
    # A run under way (label maps, no eval_results.json yet) says so.
    under_way = work / 'dynaseg-fsf_cnn-m2_fast_bsds500' / 'test_all' / 'preds'
    under_way.mkdir(parents=True)
    for img_id in IDS[:3]:
        Image.fromarray(np.zeros((24, 32), np.uint8)).save(under_way / f'{img_id}.png')
    assert reproduce.main([*argv, '--table-only', '--output', str(output)]) == 0
    assert 'not scored yet: 3 label maps in its work dir' in output.read_text()

    # The warm start's schedule sets patience away from the authors' model: a lever.
    mode = f'warm start from {CHECKPOINT} (schedule.patience=None)'
    warm = table_row(text, f'| {mode} | DynaSeg-FSF, mu=15 | CNN M=2 | no')
    pooled = sum((0.33 + 0.02 * k) * (5 + k) for k in range(4)) / sum(5 + k for k in range(4))
    assert warm[4] == '4/4' and warm[5].startswith(f'{pooled:.4f} [')
    low, high = (float(x) for x in warm[5].split('[')[1].rstrip(']').split(','))
    assert 0.33 <= low <= pooled <= high <= 0.39
    assert warm[8].startswith('0.715 [') and warm[10] == '0.450'  # PRI with interval; covering
    assert warm[11:14] == ['3.0', '2.00', '52']
    assert (
        warm[14]
        == 'fast: <= 40,000 px for 15 it (stop q <= 3), refine 0 it, label at <= 500,000 px'
    )

    one = table_row(text, f'| one pass (DynaSegReferenceImage, {CHECKPOINT}) |')
    assert one[3] == 'n/a' and one[4] == '**2/4 (partial)**'
    assert one[-1] == 'one forward at <= 40,000 px, BatchNorm on batch statistics, no optimisation'
    assert f'`{ONE_PASS}`: partial: 2 of 4 scored' in text
    assert f'--work-dir {relative(one_pass)}' in text.split('which runs each of these')[1]
    regenerate = shlex.split(text.split('Everything')[1].split('```')[1].strip())
    assert regenerate[regenerate.index('--report') + 1] == 'warm-start'
    assert regenerate[regenerate.index('--run-dir') + 1] == f'{ONE_PASS}={relative(one_pass)}'
    assert regenerate[regenerate.index('--images') + 1] == '0'  # the report's default: all

    # Its work dir, once present again, wins over the saved result (and replaces it).
    fake_run(work / SCF / 'test_all', IDS, 0.2222)
    per_image_rows(work / SCF / 'test_all', IDS, 0.2222)
    assert reproduce.main([*argv, '--table-only', '--output', str(output)]) == 0
    scf = table_row(output.read_text(), scf_row)
    assert scf[4] == '4/4' and scf[5].startswith(f'{pooled - 0.33 + 0.2222:.4f} [')
    assert '0.2222' in saved.read_text()
    # A config changed since the result was saved (here mu) does not read it.
    (work / SCF / 'test_all' / 'eval_results.json').unlink()
    changed = [*argv, '--cfg-options', 'model.loss.weight.mu=20']
    assert reproduce.main([*changed, '--table-only', '--output', str(output)]) == 0
    scf = table_row(output.read_text(), '| per image, random init | DynaSeg-SCF, mu=20')
    assert scf[4] == 'not run'


def test_warm_start_report_is_not_written_without_its_runs(data_root: Path, tmp_path: Path):
    output = tmp_path / 'warm.md'
    argv = ['--data-root', str(data_root), '--work-dir', str(tmp_path / 'w')]
    argv += ['--report', 'warm-start', '--table-only', '--output', str(output)]
    assert reproduce.main(argv) == 1 and not output.exists()
    with pytest.raises(SystemExit):  # a --run-dir names a run of the report
        reproduce.parse_args([*argv, '--run-dir', f'kim-fixed_cnn-m2_fast_bsds500={tmp_path}'])


DEFAULT = 'dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh'
KIM_LEVERS = 'kim-fixed_cnn-m2_quick_bsds500_replicate-edge-fh'


def test_default_report_pairs_the_default_with_each_comparison_and_spreads_its_seeds(
    data_root: Path, tmp_path: Path
) -> None:
    """Seeds 0 and 1 of the default scored, seed 2 partial; Kim with the same levers scored;
    the authors' constants absent (no committed row for 4 images): paired differences against
    the scored comparison only, the seed spread over the two scored seeds."""
    work = tmp_path / 'work'
    for name, miou in ((DEFAULT, 0.40), (f'{DEFAULT}_seed1', 0.38), (KIM_LEVERS, 0.35)):
        fake_run(work / name / 'test_all', IDS, miou)
        per_image_rows(work / name / 'test_all', IDS, miou)
    fake_run(work / f'{DEFAULT}_seed2' / 'test_all', IDS[:1], 0.5)
    output = tmp_path / 'default.md'
    argv = ['--data-root', str(data_root), '--work-dir', str(work), '--report', 'default']
    assert reproduce.main([*argv, '--table-only', '--output', str(output)]) == 0
    text = output.read_text()
    assert not absolute_paths(text)
    levers = 'replicate padding, edge-aware continuity s=0.15'
    refined = (
        'refined: vote Felzenszwalb(scale=200, sigma=0.5, min_size=20)'
        ' + overlay Felzenszwalb(scale=600, sigma=0.5, min_size=30)'
    )
    quick = 'schedule.patience=10'  # the quick schedule's patience, away from the authors'
    default = table_row(
        text, f'| {levers}, {quick}, {refined} | DynaSeg-FSF, mu=15 | CNN M=2 | yes |'
    )
    assert default[4] == '4/4' and default[5].startswith('0.4')
    assert default[-1].startswith('fast: <= 10,000 px until q stable 10 it')
    seed1 = table_row(text, f'| {levers}, seed 1, {quick}, {refined} | DynaSeg-FSF, mu=15 |')
    assert seed1[4] == '4/4'
    # The default on the fast schedule it replaced: same levers, not run here.
    fast = table_row(text, f'| {levers}, {refined} | DynaSeg-FSF, mu=15 | CNN M=2 | yes |')
    assert fast[4] == 'not run' and fast[-1].startswith('fast: <= 40,000 px')
    assert table_row(text, "| none (authors' constants) | DynaSeg-SCF, mu=50 |")[4] == 'not run'
    # Every per-image mIoU of the default is 0.05 above Kim's with the same levers: the paired
    # difference is exactly +0.05 on every resample.
    kim = table_row(text, f'| Kim et al., fixed mu=1, levers: {levers}, {quick}, {refined} |')
    assert kim[1:5] == ['4', *['+0.0500 [+0.0500, +0.0500]'] * 3]
    assert kim[5:7] == ['+0.000 [+0.000, +0.000]'] * 2  # the same PRI and VOI on every image
    authors = table_row(text, "| DynaSeg-FSF, mu=15, levers: none (authors' constants) |")
    assert authors[1] == 'n/a' and authors[-1] == 'this run has no per-image scores here'
    assert f'{DEFAULT}_seed1' not in text.split('## Paired')[1].split('## Spread')[0]
    # Seed spread: seeds 0 and 1 (seed 2 has no per-image scores), pooled on the same 4 images.
    spread = text.split('## Spread over seeds')[1]
    assert '| mode | seed 0 | seed 1 | mean +- sd | range |' in spread
    pooled = sum((0.40 + 0.02 * k) * (5 + k) for k in range(4)) / sum(5 + k for k in range(4))
    row = table_row(spread, '| all |')
    assert row[1:3] == [f'{pooled:.4f}', f'{pooled - 0.02:.4f}']
    assert row[3] == f'{pooled - 0.01:.4f} +- {0.02 / np.sqrt(2):.4f}'
    regenerate = shlex.split(text.split('Everything')[1].split('```')[1].strip())
    assert regenerate[regenerate.index('--bootstrap') + 1] == '1000'  # the report's default
    # With one scored seed the spread section says what is missing instead (seed 1's rows
    # now hold ids only, as those of a run scored before per-image scores were kept).
    with open(work / f'{DEFAULT}_seed1' / 'test_all' / 'eval_results.pkl', 'wb') as handle:
        pickle.dump([{'img_id': i} for i in IDS], handle)
    assert reproduce.main([*argv, '--table-only', '--output', str(output)]) == 0
    assert 'Not yet: 1 of the seed runs' in output.read_text()


def test_default_report_of_the_seed_runs_only_spreads_them_without_a_paired_section(
    data_root: Path, tmp_path: Path
) -> None:
    """``--only`` the default's seed runs (what a session that has only those runs writes to
    its own file): one row per seed, the spread, no paired section, and a regenerate command
    that names the selection and the output."""
    work = tmp_path / 'work'
    for name, miou in ((DEFAULT, 0.40), (f'{DEFAULT}_seed1', 0.38), (f'{DEFAULT}_seed2', 0.36)):
        fake_run(work / name / 'test_all', IDS, miou)
        per_image_rows(work / name / 'test_all', IDS, miou)
    output = tmp_path / 'seeds.md'
    argv = ['--data-root', str(data_root), '--work-dir', str(work), '--report', 'default']
    argv += ['--only', f'{DEFAULT}*', '--table-only', '--output', str(output)]
    assert reproduce.main(argv) == 0
    text = output.read_text()
    assert '## Paired' not in text and 'Kim et al., fixed' not in text
    spread = text.split('## Spread over seeds')[1]
    assert '| mode | seed 0 | seed 1 | seed 2 | mean +- sd | range |' in spread
    pooled = sum((0.40 + 0.02 * k) * (5 + k) for k in range(4)) / sum(5 + k for k in range(4))
    row = table_row(spread, '| all |')
    assert row[1:4] == [f'{pooled - d:.4f}' for d in (0.0, 0.02, 0.04)]
    assert row[4] == f'{pooled - 0.02:.4f} +- 0.0200'
    assert row[5] == f'{pooled - 0.04:.4f} - {pooled:.4f}'
    regenerate = shlex.split(text.split('Everything')[1].split('```')[1].strip())
    assert regenerate[regenerate.index('--only') + 1] == f'{DEFAULT}*'
    assert regenerate[regenerate.index('--output') + 1] == relative(output)


def baseline_config(tmp_path: Path) -> Path:
    """A classical baseline's config: a model without extractor, loss or schedule."""
    path = tmp_path / 'felzenszwalb_bsds500.py'
    dataset = REPO_ROOT / 'configs/_base_/datasets/bsds500.py'
    path.write_text(
        f'_base_ = [{str(dataset)!r}]\n'
        "model = dict(type='FelzenszwalbSegmentor', scale=300.0, sigma=0.5, min_size=30)\n"
    )
    return path


def test_a_classical_baseline_gets_rows_and_labels(data_root: Path, tmp_path: Path) -> None:
    run = runs.Run(str(baseline_config(tmp_path)))
    work = tmp_path / 'work'
    fake_run(work / run.name / 'test_first2', ['100007', '100039'], 0.34, labels=4)
    for record in (work / run.name / 'test_first2' / 'preds' / 'records').glob('*.json'):
        record.write_text(json.dumps({**json.loads(record.read_text()), 'iterations': 0}))
    argv = ['--data-root', str(data_root), '--work-dir', str(work), '--images', '2']
    text = render.render([run], reproduce.parse_args(argv), 'python x')
    row = table_row(text, '| FelzenszwalbSegmentor |')
    assert row[1:5] == ['none', 'n/a', '2/2', '0.3400']
    assert row[-2:] == ['0 it, 4.0 labels, 2.0 s', 'no optimisation']
    assert 'Every fast run' not in text  # no optimisation schedule to explain
    args = reproduce.parse_args([*argv, '--report', 'default'])
    default = table_report.render_table_report([run], args, 'python x')
    row = table_row(default, '| FelzenszwalbSegmentor scale=300 sigma=0.5 min_size=30 |')
    assert row[1:5] == ['FelzenszwalbSegmentor', 'none', 'n/a', '2/2']


def test_a_dataset_without_report_subset_is_refused(data_root: Path, tmp_path: Path) -> None:
    folder = tmp_path / 'folder.py'
    folder.write_text(
        f'_base_ = [{str(REPO_ROOT / labels.AUTHORS_CONFIG)!r}]\n'
        "dataset = dict(_delete_=True, type='ImageFolderDataset', data_root='data/photos')\n"
    )
    args = reproduce.parse_args(['--data-root', str(data_root)])
    with pytest.raises(SystemExit, match='ImageFolderDataset has no report subset'):
        runs.subset_for(runs.Run(str(folder)), args)


#: Seconds per run: 16 channels, 5 coarse + 1 refining iteration, no Silhouette phase.
TINY = [
    'model.backbone.channels=16',
    'model.backbone.out_channels=16',
    'model.schedule.max_iters=5',
    'model.schedule.refine_iters=1',
    'model.silhouette.enabled=False',
]


def test_a_small_real_report_is_regenerated_from_its_saved_results(
    data_root: Path, tmp_path: Path
) -> None:
    """The default's seed-1 run (its config with the option model.seed=1), really run on 2
    images (tiny network and schedule): its result is saved beside the report, and once the
    work dir is gone the report is computed again from that file, row for row and interval for
    interval."""
    work, output = tmp_path / 'work', tmp_path / 'docs' / 'results_small.md'
    argv = ['--data-root', str(data_root), '--work-dir', str(work), '--report', 'default']
    argv += ['--images', '2', '--threads', '1', '--bootstrap', '50', '--cfg-options', *TINY]
    argv += ['--only', f'{DEFAULT}_seed1', '--output', str(output)]
    assert reproduce.main(argv) == 0
    record = work / f'{DEFAULT}_seed1' / 'test_first2' / 'preds' / 'records' / '100007.json'
    assert json.loads(record.read_text())['model_config']['seed'] == 1
    first = output.read_text()
    path = tmp_path / 'docs' / 'default' / f'{DEFAULT}_seed1.json'
    saved = json.loads(path.read_text())
    assert [row['img_id'] for row in saved['images']] == ['100007', '100039']
    assert {'all/mIoU', 'all/num_segments', 'iterations', 'seconds'} <= set(saved['images'][0])
    assert saved['subset'].startswith('the first 2 ids') and saved['model']['seed'] == 1
    for path in sorted(work.rglob('*'), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert reproduce.main([*argv, '--table-only']) == 0
    again = output.read_text()

    def table(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith('| ')]

    assert table(again) == table(first) and ' [' in table(first)[-1]  # with its intervals
    assert 'not being here; their seconds were measured on ' in again
    assert (
        again.split('- Rows computed from the results')[1]
        .split('\n')[0]
        .endswith(f'`{DEFAULT}_seed1`')
    )
