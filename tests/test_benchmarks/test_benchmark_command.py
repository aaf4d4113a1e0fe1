"""tools/benchmark.py through dynaseg.cli.benchmark.main, end to end on a tiny synthetic
BSDS500 layout (timings are not asserted)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

import pytest

from dynaseg.cli import benchmark as command
from dynaseg.reports import provenance
from dynaseg.testing import make_bsds

pytestmark = pytest.mark.usefixtures('one_thread')

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Done:
    """What a run of the tool left: its exit code (0, or sys.exit's message) and its output."""

    returncode: int | str
    stdout: str
    stderr: str


@pytest.fixture
def run_benchmark(capsys):
    """``tools/benchmark.py ARGS`` in this process: main(ARGS) and what it printed."""

    def run(*args: str) -> Done:
        try:
            command.main(list(args))
            code: int | str = 0
        except SystemExit as stop:
            code = stop.code if stop.code is not None else 0
        out = capsys.readouterr()
        return Done(code, out.out, out.err + (code if isinstance(code, str) else ''))

    return run


def test_per_iter_and_whole_parts_report_every_loop_and_reuse_the_cache(
    tmp_path: Path, run_benchmark
) -> None:
    # --data-root is the folder holding bsds500/, as in every tool
    root = make_bsds(tmp_path / 'data' / 'bsds500', ['1001', '1002'], size=(40, 56)).parent
    cache, out = tmp_path / 'cache', tmp_path / 'out.json'
    common = ['--data-root', str(root), '--image-ids', '1001', '1002', '--threads', '1']
    common += ['--cache', str(cache), '--max-iters', '4', '--scale', '0.5']
    done = run_benchmark(
        *common,
        '--parts',
        'per-iter',
        'whole',
        'agreement',
        '--agreement-iters',
        '1',
        '5',
        '--per-iter-iters',
        '2',
        '--per-iter-scale',
        '0.75',
        '--repeats',
        '2',
        '--out',
        str(out),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text())
    per_iter = results['per_iter']
    assert per_iter['size'] == [30, 42]  # 40x56 at --per-iter-scale 0.75
    for loop in ('A', "A'", 'B'):
        assert len(per_iter[loop]['runs']) == 2 and per_iter[loop]['s_per_iter'] > 0
        assert per_iter[loop]['user_s'] >= 0 and per_iter[loop]['sys_s'] >= 0
    # The ratio is that of the medians of the timed runs (two each, so their means).
    runs = {loop: per_iter[loop]['runs'] for loop in ('A', 'B')}
    ratio = statistics.median(runs['B']) / statistics.median(runs['A'])
    assert per_iter['ratio'] == pytest.approx(ratio, rel=1e-12)
    assert per_iter['B']['s_per_iter'] == pytest.approx(sum(runs['B']) / 2, rel=1e-12)
    assert 'ratio B/A' in done.stdout and "A' authors' loop, freed memory kept" in done.stdout

    # Same seed, same work: after one iteration A and B label (almost) every pixel alike.
    agreement = results['agreement']['rows']
    assert [row['iterations'] for row in agreement] == [1, 5]
    assert agreement[0]['pixels_equal_a_b'] >= 0.95 and agreement[0]['a_vs_b'] >= 0.9

    whole = results['whole']
    assert [row['image'] for row in whole['rows']] == ['1001', '1002']
    for row in whole['rows']:
        assert row['a_iterations'] <= 4 and row['b_iterations'] >= 1
        assert 0.0 <= row['a_miou'] <= 1.0 and 0.0 <= row['b_miou'] <= 1.0
    # The speed-up is that of the per-image times summed, each B time the one its record gives.
    total_a = sum(row['a_seconds'] for row in whole['rows'])
    total_b = sum(row['b_seconds'] for row in whole['rows'])
    assert whole['speedup'] == pytest.approx(total_a / total_b, rel=1e-12)
    # The config is recorded relative to the repository, not as a path of this machine.
    default_config = 'configs/dynaseg/dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py'
    assert whole['config'] == default_config
    # The warm start and the one pass beside B: same images, end to end, all three modes.
    timed = {entry['config']: entry for entry in whole['time_to_result']}
    assert list(timed) == [
        'configs/dynaseg/dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py',
        'configs/dynaseg/dynaseg-fsf_cnn-m2_warm-start_bsds500.py',
        'configs/dynaseg/dynaseg-fsf_cnn-m2_one-pass_bsds500.py',
    ]
    for entry in timed.values():
        assert [row['image'] for row in entry['rows']] == ['1001', '1002']
        assert all(r['seconds'] >= r['segment_seconds'] > 0 for r in entry['rows'])
        assert set(entry['miou']) == {'all', 'fine', 'coarse'}
        assert all(0.0 <= v <= 1.0 for v in entry['miou'].values())
    default = timed['configs/dynaseg/dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py']
    assert [r['segment_seconds'] for r in default['rows']] == [
        r['b_seconds'] for r in whole['rows']
    ]  # B's row is B's run, not a second one
    warm = timed['configs/dynaseg/dynaseg-fsf_cnn-m2_warm-start_bsds500.py']
    assert all(1 <= r['iterations'] <= 15 for r in warm['rows'])  # its 15-step schedule
    one_pass = timed['configs/dynaseg/dynaseg-fsf_cnn-m2_one-pass_bsds500.py']
    assert all(r['iterations'] == 0 for r in one_pass['rows'])  # one forward, no optimisation
    assert '[time to result] end to end' in done.stdout
    cached = sorted(p.name for p in cache.rglob('*.npz'))
    assert cached == ['1001.npz', '1002.npz']

    # A rerun scores from the cache: A's label maps are not recomputed.
    stamps = {p: p.stat().st_mtime_ns for p in cache.rglob('*.npz')}
    again = run_benchmark(
        *common,
        '--parts',
        'whole',
        'time-to-result',
        '--per-iter-iters',
        '1',
        '--modes',
        '--out',
        str(out),
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert {p: p.stat().st_mtime_ns for p in cache.rglob('*.npz')} == stamps
    # The time-to-result part alone: B only (no --modes), every image, no A.
    alone = json.loads(out.read_text())['time_to_result']
    assert [entry['config'] for entry in alone['rows']] == [alone['config']]
    assert [row['image'] for row in alone['rows'][0]['rows']] == ['1001', '1002']
    assert 'a_seconds' not in json.dumps(alone)


def test_time_to_result_counts_plain_iterations_and_times_baselines(
    tmp_path: Path, run_benchmark
) -> None:
    # Small pictures (--picture-pixels), a classical baseline beside B, and every time also
    # in iterations of the plain loop probed on the same picture.
    root = make_bsds(tmp_path / 'data' / 'bsds500', ['1001', '1002'], size=(40, 56)).parent
    out = tmp_path / 'ttr.json'
    baseline = 'configs/baselines/felzenszwalb_bsds500.py'
    done = run_benchmark(
        *['--data-root', str(root), '--image-ids', '1001', '1002', '--threads', '1'],
        *['--parts', 'time-to-result', '--picture-pixels', '600', '--probe-iters', '2'],
        *['--modes', baseline, '--out', str(out)],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())['time_to_result']
    assert result['picture_pixels'] == 600 and result['probe_iters'] == 2
    entries = {entry['config']: entry for entry in result['rows']}
    assert list(entries) == [result['config'], baseline]
    for entry in entries.values():
        for row in entry['rows']:
            height, width = row['size']
            assert height * width <= 600 and height / width == pytest.approx(40 / 56, rel=0.1)
            assert row['plain_iterations'] == pytest.approx(
                row['seconds'] / row['plain_s_per_iter'], rel=1e-12
            )
        mean = statistics.mean(r['plain_iterations'] for r in entry['rows'])
        assert entry['plain_iterations'] == pytest.approx(mean, rel=1e-12)
        assert all(0.0 <= v <= 1.0 for v in entry['miou'].values())  # scored at full size
    assert entries[baseline]['iterations'] == 0  # no optimisation
    # Both configs timed on the same pictures, probed once each.
    probes = [[r['plain_s_per_iter'] for r in e['rows']] for e in entries.values()]
    assert probes[0] == probes[1]
    assert 'plain it.' in done.stdout


def test_missing_data_root_is_a_clear_error(tmp_path: Path, run_benchmark) -> None:
    done = run_benchmark('--data-root', str(tmp_path / 'nowhere'), '--parts', 'per-iter')
    assert done.returncode != 0
    assert 'BSDS500 not found' in done.stderr and 'nowhere' in done.stderr


def test_default_data_root_is_the_project_convention(
    tmp_path: Path, run_benchmark, monkeypatch
) -> None:
    # Without --data-root: bsds500/ under $DYNASEG_DATA_ROOT, and the error names that path.
    monkeypatch.setenv('DYNASEG_DATA_ROOT', str(tmp_path / 'elsewhere'))
    done = run_benchmark('--parts', 'per-iter')
    assert done.returncode != 0
    assert f'BSDS500 not found under {tmp_path / "elsewhere" / "bsds500"} ' in done.stderr
    assert 'DYNASEG_DATA_ROOT' in done.stderr


def test_data_root_defaults_to_data_inside_the_repository(monkeypatch) -> None:
    monkeypatch.delenv('DYNASEG_DATA_ROOT', raising=False)
    assert provenance.data_root() == REPO_ROOT / 'data'
    monkeypatch.setenv('DYNASEG_DATA_ROOT', 'some/where')
    assert provenance.data_root() == Path('some/where')
    assert provenance.repo_relative(REPO_ROOT / 'configs' / 'x.py') == 'configs/x.py'
    assert (
        command.DEFAULT_CONFIG
        == 'configs/dynaseg/dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py'
    )


def test_the_old_spelling_of_the_authors_cache_part_still_runs(tmp_path: Path, run_benchmark):
    root = make_bsds(tmp_path / 'data' / 'bsds500', ['1001'], size=(20, 28)).parent
    cache = tmp_path / 'cache'
    common = ['--data-root', str(root), '--image-ids', '1001', '--threads', '1', '--cache']
    done = run_benchmark(*common, str(cache), '--max-iters', '2', '--parts', 'reference-cache')
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'A cached for 1001' in done.stdout
    assert [p.name for p in cache.rglob('*.npz')] == ['1001.npz']


def test_hierarchy_part_times_each_step_of_the_default_beside_its_labels(
    tmp_path: Path, run_benchmark
) -> None:
    root = make_bsds(tmp_path / 'data' / 'bsds500', ['1001', '1002'], size=(40, 56)).parent
    out = tmp_path / 'hierarchy.json'
    done = run_benchmark(
        *['--data-root', str(root), '--image-ids', '1001', '1002', '--threads', '1'],
        *['--parts', 'hierarchy', '--out', str(out)],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())['hierarchy']
    assert [row['image'] for row in result['rows']] == ['1001', '1002']
    for row in result['rows']:
        assert all(row[step] > 0 for step in ('segment', 'build', 'save', 'recut'))
        assert row['leaves'] >= 1
    paid = [row['build'] + row['save'] for row in result['rows']]
    assert result['build_and_save'] == pytest.approx(
        {'mean': statistics.mean(paid), 'max': max(paid)}
    )
    assert 'build + save:' in done.stdout
    # A config without a hierarchy is refused in one line.
    refused = run_benchmark(
        *['--data-root', str(root), '--image-ids', '1001', '--parts', 'hierarchy'],
        *['--config', str(REPO_ROOT / 'configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500.py')],
    )
    assert refused.returncode != 0 and 'builds no hierarchy' in refused.stderr
