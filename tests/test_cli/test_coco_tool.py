"""tools/DynaSeg_COCO.py and tools/evaluate_config.py: flags, exit codes, torchrun vs 1 process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from paused_tool import finish, start_paused, wait_until_paused

from dynaseg.cli.evaluate import dataset_main
from dynaseg.testing import make_bsds, make_cocostuff
from dynaseg.testing.runs import BSDS_CONFIG, COCO_CONFIG, free_port, read_results, tiny_cfg_options

REPO_ROOT = Path(__file__).resolve().parents[2]


COCO_TOOL = REPO_ROOT / 'tools' / 'DynaSeg_COCO.py'
EVAL_TOOL = REPO_ROOT / 'tools' / 'evaluate_config.py'
TINY_ARGS = ['--threads', '1', '--cfg-options', *tiny_cfg_options()]
IDS = ['000000000011', '000000000012', '000000000013', '000000000014', '000000000015']


def run_tool(
    *args: str,
    cwd: Path,
    tool: Path = COCO_TOOL,
    timeout: float = 180,
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(tool), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_coco_tool_default_work_dir_table_and_exit_codes(tmp_path: Path) -> None:
    # --data-root is the folder holding cocostuff/, as in every tool.
    data = tmp_path / 'data'
    root = make_cocostuff(data / 'cocostuff', IDS[:2], absent=IDS[2:3])
    run = run_tool('--data-root', str(data), *TINY_ARGS, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    # No --config: the DynaSeg-FSF M=3 COCO config, and work_dirs/<its stem> under the cwd.
    work = tmp_path / 'work_dirs' / COCO_CONFIG.stem
    results, per_image = read_results(work)
    assert results['counts']['scored'] == 2 and results['counts']['missing'] == 1
    assert len(per_image) == 2
    assert '2 images scored of 3 listed (1 missing' in run.stdout
    for prefix in ('a_dataset', 'b_per_image', 'c_per_image_summed'):
        assert f'{prefix}/mIoU' in run.stdout and f'{prefix}/stuff_mIoU' in run.stdout

    (root / 'images' / 'val2017' / f'{IDS[0]}.jpg').write_bytes(b'broken')
    failed = run_tool('--data-root', str(data), '--overwrite', *TINY_ARGS, cwd=tmp_path)
    assert failed.returncode == 1
    assert f'{IDS[0]} (segment): ' in failed.stdout

    bad = run_tool('--config', str(tmp_path / 'no_such.py'), cwd=tmp_path)
    assert bad.returncode == 2 and 'config not found' in bad.stderr
    nowhere = run_tool('--data-root', str(tmp_path / 'nowhere'), *TINY_ARGS, cwd=tmp_path)
    # One line that names the flag which fixes it.
    assert nowhere.returncode == 2 and len(nowhere.stderr.strip().splitlines()) == 1
    assert 'nowhere/cocostuff' in nowhere.stderr and '--data-root' in nowhere.stderr


def test_cfg_options_override_the_list_and_win_over_data_root(tmp_path: Path) -> None:
    root = make_cocostuff(tmp_path / 'coco', IDS[:3])
    listing = tmp_path / 'mine.txt'
    listing.write_text(IDS[1] + '\n')
    work = tmp_path / 'work'
    assert (
        dataset_main(
            [
                '--config',
                str(COCO_CONFIG),
                '--data-root',
                str(tmp_path / 'elsewhere'),
                '--work-dir',
                str(work),
                *TINY_ARGS,
                f'dataset.data_root={root}',
                f'dataset.list_file={listing}',
            ],
            description='test',
        )
        == 0
    )
    results, per_image = read_results(work)
    assert results['counts']['listed'] == 1 and [r['img_id'] for r in per_image] == [IDS[1]]


def test_two_process_torchrun_matches_single_process(tmp_path: Path) -> None:
    # A dataset folder given as --data-root is taken as it is (named like the config's).
    root = make_cocostuff(tmp_path / 'cocostuff', IDS, absent=['000000000099'])
    single, multi = tmp_path / 'single', tmp_path / 'multi'
    assert (
        dataset_main(
            ['--data-root', str(root), '--work-dir', str(single), *TINY_ARGS],
            description='test',
            default_config=str(COCO_CONFIG),
        )
        == 0
    )
    env = dict(os.environ, OMP_NUM_THREADS='1')
    run = subprocess.run(
        [
            sys.executable,
            '-m',
            'torch.distributed.run',
            '--nproc_per_node',
            '2',
            '--master_port',
            str(free_port()),
            str(COCO_TOOL),
            '--launcher',
            'pytorch',
            '--data-root',
            str(root),
            '--work-dir',
            str(multi),
            *TINY_ARGS,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.count('images scored of') == 1  # only rank 0 evaluates and prints

    one, _ = read_results(single)
    two, _ = read_results(multi)
    assert two['metrics'] == one['metrics'] and two['counts'] == one['counts']
    assert two['nan_images'] == one['nan_images'] and two['run']['world_size'] == 2
    assert read_results(multi)[1] == read_results(single)[1]
    ranks = []
    for img_id in IDS:
        assert (multi / 'preds' / f'{img_id}.png').read_bytes() == (
            single / 'preds' / f'{img_id}.png'
        ).read_bytes()
        record = multi / 'preds' / 'records' / f'{img_id}.json'
        ranks.append(json.loads(record.read_text())['rank'])
    assert sorted(ranks) == [0, 0, 0, 1, 1]  # each image exactly once, interleaved by rank
    assert not list(multi.rglob('*.tmp'))


def test_sigterm_then_resume(tmp_path: Path) -> None:
    """SIGTERM during the run exits 143 and keeps finished images; the rerun only does the rest."""
    make_cocostuff(tmp_path / 'cocostuff', IDS)
    work, marker = tmp_path / 'work', tmp_path / 'paused'
    # Paused before the third image, so the signal always lands with exactly two done.
    args = ['--data-root', str(tmp_path), '--work-dir', str(work), *TINY_ARGS]
    proc = start_paused(marker, 3, COCO_TOOL, *args)
    wait_until_paused(proc, marker)
    proc.send_signal(signal.SIGTERM)
    code, _, stderr = finish(proc, marker)
    assert code == 143, stderr[-2000:]
    assert 'rerun the same command to resume' in stderr
    assert 'signal handlers restored: True' in stderr
    preds = work / 'preds'
    done = {p.stem: p.stat().st_mtime_ns for p in preds.glob('*.png')}
    assert sorted(done) == IDS[:2]

    rerun = run_tool(*args, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    results, _ = read_results(work)
    assert results['counts']['segmented_this_run'] == 3
    assert results['counts']['scored'] == len(IDS)
    assert {s: (preds / f'{s}.png').stat().st_mtime_ns for s in done} == done


def test_evaluate_config_tool_on_bsds(tmp_path: Path) -> None:
    make_bsds(tmp_path / 'data' / 'bsds500', ['300'])
    run = run_tool(
        '--config',
        BSDS_CONFIG.stem,  # by name
        '--data-root',
        str(tmp_path / 'data'),
        *TINY_ARGS,
        cwd=tmp_path,
        tool=EVAL_TOOL,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results, per_image = read_results(tmp_path / 'work_dirs' / BSDS_CONFIG.stem)
    assert set(results['metrics']) == {'all', 'fine', 'coarse', 'bsds'}
    assert per_image[0]['img_id'] == '300' and 'coarse/mIoU' in per_image[0]
    assert 'bsds/PRI' in run.stdout and '1 images scored of 1 listed' in run.stdout


def test_evaluate_takes_the_default_config_and_a_split(tmp_path: Path, capsys) -> None:
    """``dynaseg-evaluate`` without --config runs the default config (as every tool does);
    --split moves it to another split, here one the data root does not hold."""
    from dynaseg.apis.inference import DEFAULT_CONFIG
    from dynaseg.cli.evaluate import main as evaluate_main

    make_bsds(tmp_path / 'data' / 'bsds500', ['300'])
    argv = ['--data-root', str(tmp_path / 'data'), '--images', '0']
    assert evaluate_main([*argv, '--work-dir', str(tmp_path / 'work')]) == 0
    results, _ = read_results(tmp_path / 'work')
    assert results['config'] == DEFAULT_CONFIG.stem and results['dataset']['split'] == 'test'
    assert evaluate_main([*argv, '--split', 'val', '--work-dir', str(tmp_path / 'val')]) == 2
    assert "lists no image of split 'val' (--split)" in capsys.readouterr().err


def test_stream_output_flushes_every_line_into_a_pipe(monkeypatch) -> None:
    import io

    from dynaseg.cli.options import stream_output

    piped = io.TextIOWrapper(io.BytesIO())
    monkeypatch.setattr(sys, 'stdout', piped)
    stream_output()
    print('one image done')
    assert piped.buffer.getvalue() == b'one image done\n'  # out before the run ends
