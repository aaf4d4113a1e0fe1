"""The segment tool (dynaseg.cli.segment.main): flags, exit codes, Ctrl-C and resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from paused_tool import finish, start_paused, wait_until_paused
from PIL import Image

from dynaseg.cli.segment import build_parser as build_segment_parser
from dynaseg.cli.segment import config_from_args
from dynaseg.cli.segment import main as segment_main
from dynaseg.testing import piecewise_image

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL = REPO_ROOT / 'tools' / 'DynaSeg_SCF_BSD_VOC.py'
# The model config alone (no dataset config needed) with the authors' flags shrinking the run.
MODEL_CONFIG = str(REPO_ROOT / 'configs' / '_base_' / 'models' / 'dynaseg_cnn.py')
TINY_ARGS = [
    '--config',
    MODEL_CONFIG,
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


def make_folder(folder: Path, count: int, height: int = 24, width: int = 32) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        paths.append(folder / f'img{i}.png')
        Image.fromarray(piecewise_image(height, width, seed=i)[0]).save(paths[-1])
    return paths


def parse(*argv: str, config: str = MODEL_CONFIG):
    return config_from_args(
        build_segment_parser().parse_args(
            ['--input_folder', 'in', '--output_folder', 'out', '--config', config, *argv]
        )
    )


def test_default_config_loads_with_flags():
    """The tool's default config (the validated one: DynaSeg-FSF, CNN M=2, fast, replicate
    padding, edge-aware continuity) must load and take the flags."""
    cfg = parse('--maxIter', '7', config=build_segment_parser().get_default('config'))
    assert cfg.model.type == 'DynaSeg' and cfg.model.schedule.max_iters == 7
    assert cfg.model.loss.weight.type == 'FSFWeight' and cfg.model.loss.weight.mu == 15
    assert cfg.model.backbone.padding_mode == 'replicate'
    assert cfg.model.loss.continuity.edge_sigma == 0.15


def test_original_flags_change_the_effective_config():
    cfg = parse(
        '--nChannel',
        '32',
        '--maxIter',
        '7',
        '--minLabels',
        '4',
        '--lr',
        '0.05',
        '--nConv',
        '3',
        '--seed',
        '9',
    )
    assert cfg.model.backbone.channels == cfg.model.backbone.out_channels == 32
    assert cfg.model.backbone.num_convs == 3
    assert cfg.model.schedule.max_iters == 7 and cfg.model.schedule.min_labels == 4
    assert cfg.model.optimizer.lr == 0.05 and cfg.model.seed == 9


@pytest.mark.parametrize(
    'weighting,mu,expected',
    [
        ('scf', None, dict(type='SCFWeight', mu=50.0)),
        ('fsf', None, dict(type='FSFWeight', mu=15.0)),
        ('fixed', None, dict(type='FixedWeight', mu=1.0)),
        ('fsf', '20', dict(type='FSFWeight', mu=20.0)),
    ],
)
def test_weighting_flags_set_loss_weight(weighting, mu, expected):
    cfg = parse('--weighting', weighting, *(['--mu', mu] if mu else []))
    assert cfg.model.loss.weight.to_dict() == expected


def test_cfg_options_applied_after_named_flags():
    cfg = parse('--maxIter', '7', '--cfg-options', 'model.schedule.max_iters=11')
    assert cfg.model.schedule.max_iters == 11


def test_flags_echoed_in_per_image_record(tmp_path):
    make_folder(tmp_path / 'in', 1)
    code = segment_main(
        [
            '--input_folder',
            str(tmp_path / 'in'),
            '--output_folder',
            str(tmp_path / 'out'),
            *TINY_ARGS,
            '--nConv',
            '1',
            '--lr',
            '0.2',
            '--weighting',
            'fsf',
            '--seed',
            '3',
            '--visualize',
            '0',
        ]
    )
    assert code == 0
    record = json.loads((tmp_path / 'out' / 'records' / 'img0.json').read_text())
    model = record['model_config']
    assert model['backbone']['channels'] == 16 and model['backbone']['num_convs'] == 1
    assert model['optimizer']['lr'] == 0.2 and model['loss']['weight']['type'] == 'FSFWeight'
    assert record['seed'] == 3 and record['iterations'] == 5
    assert not (tmp_path / 'out' / 'vis').exists()  # --visualize 0: no empty folder


def test_one_failing_image_others_done_nonzero_exit_and_summary(tmp_path, capsys):
    make_folder(tmp_path / 'in', 2)
    (tmp_path / 'in' / 'broken.jpg').write_bytes(b'\xff\xd8\xff\xe0 not really a jpeg')
    code = segment_main(
        [
            '--input_folder',
            str(tmp_path / 'in'),
            '--output_folder',
            str(tmp_path / 'out'),
            *TINY_ARGS,
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert '2 done, 0 skipped (already done), 1 failed' in out
    assert f'  {tmp_path / "in" / "broken.jpg"}: ' in out
    assert sorted(p.name for p in (tmp_path / 'out').glob('*.png')) == ['img0.png', 'img1.png']


def test_unwritable_output_is_a_clear_error_exit_2(tmp_path, capsys):
    make_folder(tmp_path / 'in', 1)
    (tmp_path / 'file').write_text('x')
    code = segment_main(
        [
            '--input_folder',
            str(tmp_path / 'in'),
            '--output_folder',
            str(tmp_path / 'file' / 'out'),
            *TINY_ARGS,
        ]
    )
    assert code == 2
    assert 'error: cannot create output folder' in capsys.readouterr().err


def test_output_equal_to_input_refused_exit_2(tmp_path, capsys):
    make_folder(tmp_path / 'in', 1)
    code = segment_main(
        [
            '--input_folder',
            str(tmp_path / 'in'),
            '--output_folder',
            str(tmp_path / 'in'),
            *TINY_ARGS,
        ]
    )
    assert code == 2 and 'is the input folder' in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / 'in').iterdir()) == ['img0.png']


def test_sigterm_prints_summary_and_exits_143(tmp_path):
    """SIGTERM while the second of three images runs: one done, exit 143, handlers restored."""
    make_folder(tmp_path / 'in', 3)
    out, marker = tmp_path / 'out', tmp_path / 'paused'
    args = ['--input_folder', str(tmp_path / 'in'), '--output_folder', str(out), *TINY_ARGS]
    proc = start_paused(marker, 2, TOOL, *args)
    wait_until_paused(proc, marker)
    proc.send_signal(signal.SIGTERM)
    code, stdout, stderr = finish(proc, marker)
    assert code == 143, stderr
    assert 'Interrupted by SIGTERM: 1 done' in stdout
    assert 'signal handlers restored: True' in stderr
    assert sorted(p.name for p in out.glob('*.png')) == ['img0.png']
    assert [p for p in out.rglob('*') if p.name.endswith('.tmp')] == []


def test_sigint_subprocess_then_rerun_resumes(tmp_path):
    """A real Ctrl-C: no half-written file, exit 130, and the rerun does only the rest."""
    inputs = make_folder(tmp_path / 'in', 6, 32, 48)
    out, marker = tmp_path / 'out', tmp_path / 'paused'
    # Paused before the third image: Ctrl-C always lands mid-run with exactly two done.
    args = ['--input_folder', str(tmp_path / 'in'), '--output_folder', str(out), *TINY_ARGS]
    proc = start_paused(marker, 3, TOOL, *args)
    wait_until_paused(proc, marker)
    proc.send_signal(signal.SIGINT)
    code, stdout, stderr = finish(proc, marker)
    assert code == 130, stderr
    assert 'Interrupted by SIGINT: 2 done' in stdout
    done_first = {p.name: p.stat().st_mtime_ns for p in out.glob('*.png')}
    assert set(done_first) == {'img0.png', 'img1.png'}
    assert [p for p in out.rglob('*') if p.name.endswith('.tmp')] == []

    rerun = subprocess.run(
        [
            sys.executable,
            str(TOOL),
            '--input_folder',
            str(tmp_path / 'in'),
            '--output_folder',
            str(out),
            *TINY_ARGS,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert '4 done, 2 skipped' in rerun.stdout
    assert {p.name for p in out.glob('*.png')} == {p.name for p in inputs}
    assert {name: (out / name).stat().st_mtime_ns for name in done_first} == done_first
    for path in inputs:
        labels = np.asarray(Image.open(out / path.name))
        assert labels.shape == (32, 48)
