"""tools/benchmark_batched.py --tool end to end on a tiny BSDS500 layout (timings not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_apis.test_dataset_runner import make_bsds as make_bsds_layout

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY = [
    'model.backbone.channels=8',
    'model.backbone.out_channels=8',
    'model.schedule.max_iters=4',
    'model.schedule.refine_iters=1',
    'model.silhouette.enabled=False',
]


def make_bsds(root: Path) -> Path:
    return make_bsds_layout(root, ['1', '2', '3'], size=(24, 32))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools/benchmark_batched.py'), '--tool', *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO_ROOT,
    )


def test_tool_mode_rows_floor_recommendation_and_resume(tmp_path: Path) -> None:
    root = make_bsds(tmp_path / 'bsds')
    out = tmp_path / 'bench.json'
    common = ['--data-root', str(root), '--threads', '1', '--out', str(out)]
    common += ['--tool-batch-sizes', '2', '--precisions', 'fp32', 'bf16', '--check-every', '2']
    common += ['--faithful-iters', '2', '--tool-options', *TINY]
    done = run(*common)
    assert done.returncode == 0, done.stderr[-2000:]
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
    assert rows['fast/b1-fp32']['agreement_iou'] == 1.0  # the reference itself
    assert rows['fast/b2-fp32']['images'] == 3 and rows['fast/b2-fp32']['images_per_s'] > 0
    assert 0 < result['noise_floor']['agreement_iou'] <= 1
    recommended = rows[result['recommended']['row']]
    assert recommended['agreement_iou'] >= result['noise_floor']['agreement_iou']
    assert result['headline']['images'] == 3
    assert result['recommended_faithful']['batch_size'] in (1, 2)
    # A rerun keeps the rows (only the reference is redone) and adds nothing new.
    again = run(*common)
    assert again.returncode == 0, again.stderr[-2000:]
    assert set(json.loads(out.read_text())['rows']) == set(rows)
    assert 'image-runs/s (1000 it)' not in again.stdout  # no faithful row was rerun
