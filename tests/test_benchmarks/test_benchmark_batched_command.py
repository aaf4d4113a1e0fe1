"""tools/benchmark_batched.py through dynaseg.cli.benchmark_batched.main: --tool end to end
on a tiny BSDS500 layout, and the small-image comparison (timings not asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynaseg.cli.benchmark_batched import main
from dynaseg.testing import make_bsds

pytestmark = pytest.mark.usefixtures('one_thread')

TINY = [
    'model.backbone.channels=8',
    'model.backbone.out_channels=8',
    'model.schedule.max_iters=4',
    'model.schedule.refine_iters=1',
    'model.silhouette.enabled=False',
]


def test_tool_mode_rows_floor_recommendation_and_resume(tmp_path: Path, capsys) -> None:
    root = make_bsds(tmp_path / 'data' / 'bsds500', ['1', '2', '3']).parent  # holds bsds500/
    out = tmp_path / 'bench.json'
    common = ['--tool', '--data-root', str(root), '--threads', '1', '--out', str(out)]
    common += ['--tool-batch-sizes', '2', '--precisions', 'fp32', 'bf16', '--check-every', '2']
    common += ['--faithful-iters', '2', '--tool-options', *TINY]
    main(common)
    capsys.readouterr()
    result = json.loads(out.read_text())
    rows = result['rows']
    assert set(rows) == {
        'fast/b1-fp32',
        'fast/b1-fp32-nchw',
        'fast/b2-fp32',
        'fast/b2-bf16',
        'fast/b2-check2',
        *(f'faithful/b{b}-{p}' for b in (1, 2) for p in result['accepted_precisions']),
    }
    assert rows['fast/b1-fp32']['agreement_iou'] == 1.0  # the unbatched run itself
    assert rows['fast/b2-fp32']['images'] == 3 and rows['fast/b2-fp32']['images_per_s'] > 0
    assert 0 < result['noise_floor']['agreement_iou'] <= 1
    recommended = rows[result['recommended']['row']]
    assert recommended['agreement_iou'] >= result['noise_floor']['agreement_iou']
    assert result['headline']['images'] == 3
    assert result['recommended_faithful']['batch_size'] in (1, 2)
    # A rerun keeps the rows (only the unbatched run is redone) and adds nothing new.
    main(common)
    assert set(json.loads(out.read_text())['rows']) == set(rows)
    assert 'image-runs/s (1000 it)' not in capsys.readouterr().out  # no faithful row was rerun


def test_small_images_one_at_a_time_against_batches(tmp_path: Path, capsys) -> None:
    # No data under --data-root: synthetic pictures; every mode does the same work per image.
    argv = ['--data-root', str(tmp_path / 'none'), '--images', '3', '--size', '16']
    main([*argv, '--iters', '2', '--batch-sizes', '2', '--repeats', '1', '--channels', '8'])
    out = capsys.readouterr().out
    assert 'synthetic piecewise images' in out
    lines = {line.split()[0]: line.split() for line in out.splitlines()[2:]}
    assert set(lines) == {'one-at-a-time', 'batch=2'}
    assert lines['one-at-a-time'][3] == '1.00x'  # the speed-up of the mode over itself
