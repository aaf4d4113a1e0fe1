"""tools/tune.py through dynaseg.cli.tune.main: tiny searches end to end, their table, the
paired intervals, resuming, reading saved results back, and the test-split refusal."""

from __future__ import annotations

import datetime
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from dynaseg.apis.records import load_record
from dynaseg.cli.tune import build_parser as build_tune_parser
from dynaseg.cli.tune import main as tune_main
from dynaseg.evaluation.comparison import MODES, paired_difference
from dynaseg.reports.provenance import machine_text
from dynaseg.reports.results import read_work_dir
from dynaseg.testing import make_bsds
from dynaseg.testing.runs import tiny_cfg_options
from dynaseg.tuning import parse_axes, sample_grid, setting_names
from dynaseg.tuning.grid import parse_setting

pytestmark = pytest.mark.usefixtures('one_thread')

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = 'configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py'
#: Seconds per setting: 16 channels, 5 coarse + 1 refining iteration, no Silhouette phase.
TINY = tiny_cfg_options()
IDS = ['2001', '2002', '2003']


@pytest.fixture
def val_root(tmp_path: Path) -> Path:
    """A BSDS500 layout whose three annotated images sit in the val split."""
    return make_bsds(tmp_path / 'bsds500', IDS, split='val')


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith('|')]


def test_the_test_split_is_refused_before_any_run(tmp_path: Path, capsys) -> None:
    argv = ['--config', CONFIG, '--split', 'test', '--grid', 'model.seed=0,1']
    code = tune_main([*argv, '--work-dir', str(tmp_path / 'w')])
    assert code == 2
    assert '--split train or --split val' in capsys.readouterr().err
    assert not (tmp_path / 'w').exists()


def _tune(val_root: Path, work: Path, table: Path, *extra: str) -> int:
    argv = ['--config', CONFIG, '--data-root', str(val_root), '--split', 'val', '--images', '2']
    argv += ['--work-dir', str(work), '--table', str(table), '--title', 'Tiny search']
    argv += ['--grid', 'model.loss.weight.mu=8,30', '--cfg-options', *TINY]
    return tune_main([*argv, *extra])


def test_table_only_before_any_run(val_root: Path, tmp_path: Path) -> None:
    # Rendering the table of a search nobody started yet: every row 'not run', nothing crashes.
    work, table = tmp_path / 'new' / 'work', tmp_path / 'table.md'
    assert _tune(val_root, work, table, '--table-only') == 1
    assert table.read_text().count('not run') == 2
    assert json.loads((work / 'tune_results.json').read_text())['rows'][0]['status'] == 'not run'


def test_table_only_keeps_the_machine_and_date_the_table_records(
    val_root: Path, tmp_path: Path
) -> None:
    # The first rendering names this machine and today; a re-render (--table-only) renders the
    # earlier run's results, so it keeps the header that run wrote, byte for byte.
    work, table = tmp_path / 'work', tmp_path / 'table.md'
    assert _tune(val_root, work, table, '--table-only') == 1
    first = table.read_text()
    machine = machine_text('cpu', None)
    today = datetime.date.today().isoformat()
    assert f'- Machine: {machine}.\n- Date: {today}.\n' in first
    recorded = first.replace(machine, '2-core CPU (elsewhere); torch 2.0.0+cpu')
    recorded = recorded.replace(today, '2020-01-02')
    table.write_text(recorded)
    assert _tune(val_root, work, table, '--table-only') == 1
    assert table.read_text() == recorded
    facts = json.loads((work / 'tune_results.json').read_text())
    assert (facts['machine'], facts['date']) == (
        '2-core CPU (elsewhere); torch 2.0.0+cpu',
        '2020-01-02',
    )


def test_a_key_the_code_does_not_read_is_refused_unless_only_reading(
    val_root: Path, tmp_path: Path, capsys
) -> None:
    # A run checks every key first; --table-only renders a table whose setting names a lever
    # removed since (its scores saved beside the table) and checks nothing.
    work, table = tmp_path / 'work', tmp_path / 'table.md'
    gone = ('--setting', 'model.schedule.coarse_fraction=0.1')
    assert _tune(val_root, work, table, *gone) == 2
    assert "unknown config key 'model.schedule.coarse_fraction'" in capsys.readouterr().err
    assert _tune(val_root, work, table, *gone, '--table-only') == 1
    assert '| coarse_fraction=0.1 |' in table.read_text()


def test_tiny_search_writes_rows_table_and_resumes(val_root: Path, tmp_path: Path) -> None:
    work, table = tmp_path / 'work', tmp_path / 'docs' / 'tuning.md'
    assert _tune(val_root, work, table) == 0

    rows = json.loads((work / 'tune_results.json').read_text())
    assert rows['split'] == 'val' and rows['ids'] == IDS[:2]  # the first 2 sorted ids
    names = [r['name'] for r in rows['rows']]
    assert names == ['mu=8', 'mu=30']
    for row in rows['rows']:
        assert row['status'] == 'done', row
        assert row['scored'] == row['expected'] == 2
        for key in ('all', 'fine', 'coarse', 'PRI', 'VOI', 'covering'):
            assert isinstance(row['scores'][key], float)
        assert 0 < row['scores']['all'] <= 1 and 0 < row['scores']['PRI'] <= 1
        assert row['scores']['VOI'] >= 0
        assert row['mean'] == pytest.approx(
            sum(row['scores'][k] for k in ('all', 'fine', 'coarse')) / 3
        )
        assert row['labels'] >= 1 and row['seconds'] > 0 and 1 <= row['iterations'] <= 6
        assert row['overrides']['model.loss.weight.mu'] in ('8', '30')
        # Each setting's own work dir holds the dataset runner's outputs for the subset only.
        preds = sorted(p.stem for p in (work / row['name'] / 'preds').glob('*.png'))
        assert preds == IDS[:2]
    # The setting reached the model: each image's record holds its mu, and with the same seed,
    # image and first labels, the first loss differs by the continuity weight q / mu alone.
    records = {
        mu: load_record(work / f'mu={mu}' / 'preds' / 'records' / f'{IDS[0]}.json')
        for mu in (8, 30)
    }
    for mu, record in records.items():
        assert record['model_config']['loss']['weight'] == {'type': 'FSFWeight', 'mu': mu}
    assert records[8]['label_counts'][0] == records[30]['label_counts'][0]
    assert records[8]['losses'][0] > records[30]['losses'][0]

    text = table.read_text()
    assert text.startswith('# Tiny search\n')
    assert 'split `val`' in text and '2001, 2002' in text and '2003' not in text
    # The command in the header parses back to the same search (paths from the repository root).
    command = re.search(r'Command \(from the repository root; rerunning resumes\): `(.+)`', text)
    words = shlex.split(command[1])
    assert words[:2] == ['python', 'tools/tune.py']
    again = build_tune_parser().parse_args(words[2:])
    assert (again.split, again.images, again.grid) == ('val', 2, ['model.loss.weight.mu=8,30'])
    assert again.cfg_options == parse_setting(TINY)
    assert (REPO_ROOT / again.work_dir).resolve() == work.resolve()
    assert '-core CPU' in text and 'Selection: best by the mean of Kim mIoU' in text
    best = max(rows['rows'], key=lambda r: r['mean'])
    assert f'**`{best["name"]}`**' in text
    table_rows = [line for line in text.splitlines() if re.match(r'\| (\*\*)?mu=', line)]
    assert len(table_rows) == 2 and table_rows[0].startswith(('| mu=8 ', '| **mu=8** '))
    assert '`model.schedule.max_iters=5`' in text  # the options every setting shares
    assert f'{best["scores"]["all"]:.4f}' in text

    # Rerunning the same command reads the finished settings back: no file is rewritten.
    watched = [work / n / f for n in names for f in ('eval_results.json', f'preds/{IDS[0]}.png')]
    before = [p.stat().st_mtime_ns for p in watched]
    assert _tune(val_root, work, table) == 0
    assert [p.stat().st_mtime_ns for p in watched] == before
    again = json.loads((work / 'tune_results.json').read_text())
    assert [r['scores'] for r in again['rows']] == [r['scores'] for r in rows['rows']]

    # --paired-with: each other setting minus mu=8 on the images both scored, the
    # intervals those of paired_difference on the runs' own per-image rows.
    assert _tune(val_root, work, table, '--table-only', '--paired-with', 'mu=8') == 0
    paired = json.loads((work / 'tune_results.json').read_text())['paired']
    assert [p['name'] for p in paired] == ['mu=30']
    rows_8, rows_30 = (read_work_dir(work / n).scored_rows() for n in ('mu=8', 'mu=30'))
    for mode in MODES:
        want = paired_difference(rows_30, rows_8, mode, 2000)
        assert paired[0]['differences'][mode] == vars(want)
    seconds = [sum(r['seconds'] for r in rows) for rows in (rows_8, rows_30)]
    assert paired[0]['speedup'] == pytest.approx(seconds[0] / seconds[1])
    assert paired[0]['no_loss'] == all(paired[0]['differences'][m]['high'] >= 0 for m in MODES)
    text = table.read_text()
    assert '## Paired against `mu=8`' in text and '--paired-with mu=8' in text
    assert f'{paired[0]["differences"]["fine"]["value"]:+.4f} [' in text
    assert _tune(val_root, work, table, '--table-only', '--paired-with', 'mu=9') == 2

    # Per-image scores are saved beside the table: with the work dirs gone (a fresh clone),
    # --table-only renders the same table and paired intervals from them alone.
    saved = {n: table.parent / 'tuning' / f'{n}.json' for n in names}
    assert all(path.is_file() for path in saved.values())
    assert [r['img_id'] for r in json.loads(saved['mu=8'].read_text())['images']] == IDS[:2]
    fresh = tmp_path / 'fresh'
    shutil.copytree(table.parent, fresh / 'docs')
    copy = fresh / 'docs' / 'tuning.md'
    assert _tune(val_root, fresh / 'work', copy, '--table-only', '--paired-with', 'mu=8') == 0
    assert json.loads((fresh / 'work' / 'tune_results.json').read_text())['paired'] == paired
    assert _table_rows(copy.read_text()) == _table_rows(table.read_text())
    # ... but only for the setting they were saved for: other fixed options read nothing.
    other = _tune(val_root, fresh / 'work', copy, '--table-only', '--cfg-options', 'model.seed=3')
    assert other == 1 and copy.read_text().count('not run') == 2

    # --table-only re-renders from the work dirs; an unrun setting shows as not run.
    table.unlink()
    assert _tune(val_root, work, table, '--table-only', '--setting', 'model.seed=5') == 1
    text = table.read_text()
    assert '--table-only' not in text and 'not run' in text
    assert not (work / 'seed=5').exists()

    # The same work dir with another fixed option is not read back as this search's result.
    stale = [o.replace('max_iters=5', 'max_iters=4') for o in TINY]
    argv = ['--config', CONFIG, '--data-root', str(val_root), '--split', 'val', '--images', '2']
    argv += ['--work-dir', str(work), '--grid', 'model.loss.weight.mu=8', '--cfg-options', *stale]
    assert tune_main(argv) == 1
    row = json.loads((work / 'tune_results.json').read_text())['rows'][0]
    assert row['status'] == 'failed' and 'another model or evaluator' in row['reason']
    assert [p.stat().st_mtime_ns for p in watched] == before


def test_a_failing_setting_is_a_row_with_its_reason(val_root: Path, tmp_path: Path) -> None:
    work, table = tmp_path / 'work', tmp_path / 'tuning.md'
    argv = ['--config', CONFIG, '--data-root', str(val_root), '--split', 'val', '--images', '1']
    argv += ['--work-dir', str(work), '--table', str(table), '--cfg-options', *TINY]
    argv += ['--setting', "model.loss.weight.type='NoSuchWeight'", '--setting']
    assert tune_main(argv) == 1
    rows = {r['name']: r for r in json.loads((work / 'tune_results.json').read_text())['rows']}
    failed = rows['type=NoSuchWeight']
    assert failed['status'] == 'failed' and 'NoSuchWeight' in failed['reason']
    assert failed['scores'] == {} and failed['scored'] == 0
    assert rows['base']['status'] == 'done' and rows['base']['scored'] == 1
    text = table.read_text()
    assert '| type=NoSuchWeight |' in text and 'failed: ' in text
    assert '**`base`**' in text  # the only complete setting is the best


def test_report_test_reports_without_choosing(tmp_path: Path) -> None:
    root = make_bsds(tmp_path / 'bsds500', IDS[:1])
    work, table = tmp_path / 'work', tmp_path / 'report.md'
    argv = ['--config', CONFIG, '--data-root', str(root), '--split', 'test', '--report-test']
    argv += ['--work-dir', str(work), '--table', str(table), '--cfg-options', *TINY]
    assert tune_main([*argv, '--grid', 'model.loss.weight.mu=8,30']) == 0
    text = table.read_text()
    assert 'split `test`' in text and 'Selection: none' in text and '**' not in text
    assert '--report-test' in text and text.count('| done |') == 2


def test_random_search_end_to_end(val_root: Path, tmp_path: Path) -> None:
    """--random N --seed S runs exactly the N grid settings sample_grid draws, in grid order,
    each with its overrides in its model, and says so in the table and its command."""
    work, table = tmp_path / 'work', tmp_path / 'random.md'
    argv = ['--config', CONFIG, '--data-root', str(val_root), '--split', 'val', '--images', '1']
    argv += ['--work-dir', str(work), '--table', str(table), '--cfg-options', *TINY]
    grid = ['model.loss.weight.mu=8,15,30', 'model.seed=0,1']
    assert tune_main([*argv, '--grid', *grid, '--random', '2', '--seed', '3']) == 0
    drawn = sample_grid(parse_axes(grid), 2, 3)
    rows = json.loads((work / 'tune_results.json').read_text())['rows']
    assert [r['name'] for r in rows] == setting_names(drawn)
    assert sorted(p.name for p in work.iterdir() if p.is_dir()) == sorted(setting_names(drawn))
    for row, setting in zip(rows, drawn, strict=True):
        assert row['status'] == 'done' and row['scored'] == 1
        record = json.loads(
            (work / row['name'] / 'preds' / 'records' / f'{IDS[0]}.json').read_text()
        )
        assert record['model_config']['loss']['weight']['mu'] == setting['model.loss.weight.mu']
        assert record['model_config']['seed'] == setting['model.seed']
    text = table.read_text()
    assert '2 of the 6 grid combinations drawn at random (seed 3)' in text
    command = re.search(r'Command \(from the repository root; rerunning resumes\): `(.+)`', text)
    again = build_tune_parser().parse_args(shlex.split(command[1])[2:])
    assert (again.random, again.seed, again.grid) == (2, 3, grid)
