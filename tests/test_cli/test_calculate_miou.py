"""tools/calculate_mIOU.py end to end, as a subprocess on temporary folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import scipy.io
from conftest import REPO_ROOT

TOOL = REPO_ROOT / 'tools' / 'calculate_mIOU.py'


def run_tool(*args: str | Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, str(TOOL), *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
    )


def _write_mat(path: Path, annotations: list[np.ndarray]) -> None:
    cells = np.empty((1, len(annotations)), dtype=object)
    for k, seg in enumerate(annotations):
        cells[0, k] = {'Segmentation': seg.astype(np.uint16)}
    scipy.io.savemat(path, {'groundTruth': cells})


@pytest.fixture
def bsds_folders(tmp_path: Path) -> tuple[Path, Path]:
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    gt_dir.mkdir()
    pred_dir.mkdir()
    # Image a: annotations fine {1,2,3,4} and coarse {1,1,2,2}; image b: one annotation.
    _write_mat(gt_dir / 'a.mat', [np.array([[1, 2, 3, 4]] * 2), np.array([[1, 1, 2, 2]] * 2)])
    _write_mat(gt_dir / 'b.mat', [np.array([[1, 1, 1, 1]] * 2)])
    cv2.imwrite(str(pred_dir / 'a.png'), np.array([[0, 0, 1, 1]] * 2, np.uint8))
    # b as Kim's CSV; a blank prediction matches b's single segment exactly.
    np.savetxt(pred_dir / 'b.csv', np.zeros((2, 4)), fmt='%d', delimiter=',')
    return pred_dir, gt_dir


def test_scores_png_and_csv(bsds_folders: tuple[Path, Path]) -> None:
    pred_dir, gt_dir = bsds_folders
    # Mode 1 pools 4 fine segments (1/2 each), 2 coarse (1 each), b's segment (1): 5/7.
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == f'Average mIOU: {5 / 7:.6f}'
    assert 'Scored 2 images, 7 ground-truth segments' in lines[0]
    # The hyphenated names and the dataset's folder name are the same options.
    same = run_tool('--results-dir', pred_dir, '--ground-truth-dir', gt_dir, '--dataset', 'bsds500')
    assert same.returncode == 0 and same.stdout.strip().splitlines()[-1] == lines[-1]
    # Mode 2 (fine): (4 * 1/2 + 1) / 5; mode 3 (coarse): 1.
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir, '--mode', '2')
    assert out.stdout.strip().splitlines()[-1] == f'Average mIOU: {3 / 5:.6f}'
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir, '--mode', '3')
    assert out.stdout.strip().splitlines()[-1] == 'Average mIOU: 1.000000'


def test_missing_prediction_fails_unless_allowed(bsds_folders: tuple[Path, Path]) -> None:
    pred_dir, gt_dir = bsds_folders
    (pred_dir / 'b.csv').unlink()
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir)
    assert out.returncode == 1
    assert 'no prediction' in out.stderr and ': b' in out.stderr
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir, '--allow-missing')
    assert out.returncode == 0, out.stderr
    assert 'warning' in out.stderr
    assert out.stdout.strip().splitlines()[-1] == f'Average mIOU: {4 / 6:.6f}'


def test_prediction_without_ground_truth_is_named(bsds_folders: tuple[Path, Path]) -> None:
    pred_dir, gt_dir = bsds_folders
    cv2.imwrite(str(pred_dir / 'zzz.png'), np.zeros((2, 4), np.uint8))
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir)
    assert out.returncode == 1 and 'zzz' in out.stderr and 'no ground truth' in out.stderr


def test_size_mismatch_and_resize(bsds_folders: tuple[Path, Path]) -> None:
    pred_dir, gt_dir = bsds_folders
    # Half-resolution prediction of a: nearest resize restores [[0, 0, 1, 1]] * 2.
    cv2.imwrite(str(pred_dir / 'a.png'), np.array([[0, 1]], np.uint8))
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir)
    assert out.returncode == 2 and 'a.png' in out.stderr and '--resize_images' in out.stderr
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir, '--resize_images')
    assert out.stdout.strip().splitlines()[-1] == f'Average mIOU: {5 / 7:.6f}'


def test_no_relabel_flag(bsds_folders: tuple[Path, Path]) -> None:
    pred_dir, gt_dir = bsds_folders
    # Label 0 in two separate places: relabelled it is two segments.
    cv2.imwrite(str(pred_dir / 'a.png'), np.array([[0, 1, 1, 0]] * 2, np.uint8))
    args = ('--results_dir', pred_dir, '--ground_truth_dir', gt_dir, '--mode', '3')
    relabelled = run_tool(*args).stdout.strip().splitlines()[-1]
    merged = run_tool(*args, '--no-relabel').stdout.strip().splitlines()[-1]
    # Relabelled: gt {cols 0,1} vs pred {col 0} = 2/4, vs {cols 1,2} = 2/6 -> 1/2; same for gt
    # {cols 2,3}; b scores 1: (1/2 + 1/2 + 1) / 3. Not relabelled: pred 0 = {cols 0,3} gives
    # 2/6 and pred 1 = {cols 1,2} gives 2/6 for each gt segment: (1/3 + 1/3 + 1) / 3.
    assert relabelled == f'Average mIOU: {2 / 3:.6f}'
    assert merged == f'Average mIOU: {(2 / 3 + 1) / 3:.6f}'


def test_bad_inputs_give_one_line_errors(tmp_path: Path, bsds_folders: tuple[Path, Path]) -> None:
    pred_dir, gt_dir = bsds_folders
    cv2.imwrite(str(pred_dir / 'a.png'), np.zeros((2, 4, 3), np.uint8))  # colour PNG
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir)
    assert out.returncode == 2 and 'a.png' in out.stderr and 'colour' in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    np.savetxt(pred_dir / 'b.csv', -np.ones((2, 4)), fmt='%d', delimiter=',')
    (pred_dir / 'a.png').unlink()
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir, '--allow-missing')
    assert out.returncode == 2 and 'negative' in out.stderr and 'b.csv' in out.stderr
    (pred_dir / 'b.csv').write_text('not,a,number\n')
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir, '--allow-missing')
    assert out.returncode == 2 and 'b.csv' in out.stderr


def test_voc_ignores_void_and_rejects_empty_ground_truth(tmp_path: Path) -> None:
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    gt_dir.mkdir()
    pred_dir.mkdir()
    cv2.imwrite(str(gt_dir / 'x.png'), np.array([[0, 0, 255, 15, 15]], np.uint8))
    cv2.imwrite(str(pred_dir / 'x.png'), np.array([[4, 4, 9, 9, 9]], np.uint8))
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir, '--dataset', 'voc')
    # Void pixel dropped: pred 4 = background exactly, pred 9 = object 15 exactly.
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == 'Average mIOU: 1.000000'
    cv2.imwrite(str(gt_dir / 'x.png'), np.full((1, 5), 255, np.uint8))
    out = run_tool('--results_dir', pred_dir, '--ground_truth_dir', gt_dir, '--dataset', 'voc')
    assert out.returncode == 2 and 'empty ground truth' in out.stderr


def test_tool_does_not_import_torch() -> None:
    # Run the tool's --help in-process, then ask whether anything pulled in torch.
    code = (
        f'import runpy, sys\nsys.argv = ["calculate_mIOU.py", "--help"]\n'
        f'try:\n    runpy.run_path({str(TOOL)!r}, run_name="__main__")\n'
        f'except SystemExit:\n    pass\nprint("torch" in sys.modules)'
    )
    out = subprocess.run(
        [sys.executable, '-c', code],
        check=False,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        timeout=120,
    )
    assert out.stdout.strip().splitlines()[-1] == 'False'
