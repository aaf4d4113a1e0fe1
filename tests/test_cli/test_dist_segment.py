"""tools/dist_segment.sh (torchrun, 2 gloo processes on CPU) and tools/slurm_segment.sh."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

from dynaseg.cli.segment import main as segment_main
from dynaseg.testing import piecewise_image
from dynaseg.testing.runs import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_CONFIG = str(REPO_ROOT / 'configs' / '_base_' / 'models' / 'dynaseg_cnn.py')
TOOL_ARGS = [
    '--nChannel',
    '16',
    '--maxIter',
    '5',
    '--threads',
    '1',
    '--no-progress',
    '--cfg-options',
    'model.silhouette.enabled=False',
]


def test_two_process_run_matches_single_process_and_resumes(tmp_path):
    names = [f'im{i}.png' for i in range(5)]
    for i, name in enumerate(names):
        (tmp_path / 'in').mkdir(exist_ok=True)
        Image.fromarray(piecewise_image(24, 32 + i, seed=i)[0]).save(tmp_path / 'in' / name)
    single, multi = tmp_path / 'single', tmp_path / 'multi'
    assert (
        segment_main(
            [
                '--input_folder',
                str(tmp_path / 'in'),
                '--output_folder',
                str(single),
                '--config',
                MODEL_CONFIG,
                *TOOL_ARGS,
            ]
        )
        == 0
    )
    # One image already done: it must be skipped before sharding, the other 4 split 2 + 2.
    (multi / 'records').mkdir(parents=True)
    shutil.copy(single / 'im2.png', multi / 'im2.png')
    shutil.copy(single / 'records' / 'im2.json', multi / 'records' / 'im2.json')

    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()))
    run = subprocess.run(
        [
            'bash',
            str(REPO_ROOT / 'tools' / 'dist_segment.sh'),
            MODEL_CONFIG,
            '2',
            str(tmp_path / 'in'),
            str(multi),
            *TOOL_ARGS,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert '4 done, 1 skipped (already done), 0 failed' in run.stdout
    assert run.stdout.count('done, ') == 1  # only rank 0 prints the summary

    ranks = {}
    for name in names:
        stem = Path(name).stem
        assert (multi / name).read_bytes() == (single / name).read_bytes(), name
        assert (multi / 'vis' / f'{stem}_color.png').read_bytes() == (
            single / 'vis' / f'{stem}_color.png'
        ).read_bytes(), name
        ranks[stem] = json.loads((multi / 'records' / f'{stem}.json').read_text())['rank']
    del ranks['im2']  # copied from the single-process run
    assert sorted(ranks.values()) == [0, 0, 1, 1]
    assert [p for p in multi.rglob('*') if p.name.endswith('.tmp')] == []


def test_slurm_script_builds_srun_command(tmp_path):
    """With a stand-in srun that prints its arguments: tasks, gres and the tool's flags."""
    fake = tmp_path / 'bin' / 'srun'
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    fake.chmod(0o755)
    env = dict(
        os.environ,
        PATH=f'{fake.parent}:{os.environ["PATH"]}',
        GPUS='8',
        GPUS_PER_NODE='4',
        CPUS_PER_TASK='3',
        SRUN_ARGS='--time=10 --qos=low',
    )
    run = subprocess.run(
        [
            'bash',
            str(REPO_ROOT / 'tools' / 'slurm_segment.sh'),
            'gpu',
            'seg',
            'in dir',
            'out',
            '--device',
            'cuda',
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    args = run.stdout.splitlines()
    for expected in (
        '-p',
        'gpu',
        '--job-name=seg',
        '--gres=gpu:4',
        '--ntasks=8',
        '--ntasks-per-node=4',
        '--cpus-per-task=3',
        '--time=10',
        '--qos=low',
        '--launcher',
        'slurm',
        'in dir',
        '--device',
        'cuda',
    ):
        assert expected in args
    assert args[args.index('--input-folder') + 1] == 'in dir'
    assert args[-3:] == ['slurm', '--device', 'cuda']


def test_slurm_script_cpu_only_has_no_gres(tmp_path):
    fake = tmp_path / 'bin' / 'srun'
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f'{fake.parent}:{os.environ["PATH"]}', GPUS='2', GPUS_PER_NODE='0')
    run = subprocess.run(
        ['bash', str(REPO_ROOT / 'tools' / 'slurm_segment.sh'), 'cpu', 'seg', 'in', 'out'],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    args = run.stdout.splitlines()
    assert run.returncode == 0 and '--ntasks=2' in args and '--ntasks-per-node=2' in args
    assert not any(a.startswith('--gres') for a in args)


def test_dist_script_usage_error_without_arguments():
    run = subprocess.run(
        ['bash', str(REPO_ROOT / 'tools' / 'dist_segment.sh')],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 2 and 'Usage: tools/dist_segment.sh' in run.stderr
