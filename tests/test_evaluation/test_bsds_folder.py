"""``dynaseg-miou --bsds-bench``: the whole BSDS benchmark over a folder of small made-up images."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import scipy.io

from dynaseg.cli.miou import main as miou_main
from dynaseg.evaluation.bsds_folder import load_records
from dynaseg.evaluation.functional import segmentation_boundaries, summarise

#: Image a: the annotation splits it into left / right halves, and the right half again into top /
#: bottom (a fine annotation); the coarse annotation is the two halves. Image b: one region.
FINE = np.array([[1] * 4 + [2] * 4] * 4 + [[1] * 4 + [3] * 4] * 4)
COARSE = np.array([[1] * 4 + [2] * 4] * 8)


def _write_ground_truth(path: Path, annotations: list[np.ndarray]) -> None:
    cells = np.empty((1, len(annotations)), dtype=object)
    for k, seg in enumerate(annotations):
        cells[0, k] = {
            'Segmentation': seg.astype(np.uint16),
            'Boundaries': segmentation_boundaries(seg).astype(np.uint8),
        }
    scipy.io.savemat(path, {'groundTruth': cells})


def _ucm2_of(seg: np.ndarray) -> np.ndarray:
    """The boundaries of ``seg`` drawn on the double-resolution grid, frame included, strength 1."""
    h, w = seg.shape
    ucm2 = np.zeros((2 * h + 1, 2 * w + 1))
    ucm2[2:-1:2, 1::2] = seg[:-1] != seg[1:]
    ucm2[1::2, 2:-1:2] = seg[:, :-1] != seg[:, 1:]
    ucm2[2:-1:2, 2:-1:2] = np.maximum.reduce(
        [ucm2[1:-2:2, 2:-1:2], ucm2[3::2, 2:-1:2], ucm2[2:-1:2, 1:-2:2], ucm2[2:-1:2, 3::2]]
    )
    ucm2[0], ucm2[-1] = ucm2[1], ucm2[-2]
    ucm2[:, 0], ucm2[:, -1] = ucm2[:, 1], ucm2[:, -2]
    return ucm2


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    gt = tmp_path / 'gt'
    gt.mkdir()
    _write_ground_truth(gt / 'a.mat', [FINE, COARSE])
    _write_ground_truth(gt / 'b.mat', [np.ones((8, 8), int)])
    # A two-level hierarchy: the coarse split at strength 0.7, the fine one at 0.3.
    ucm = tmp_path / 'ucm2'
    ucm.mkdir()
    np.save(ucm / 'a.npy', np.maximum(0.3 * _ucm2_of(FINE), 0.7 * _ucm2_of(COARSE)))
    scipy.io.savemat(ucm / 'b.mat', {'ucm2': np.zeros((17, 17))})
    labels = tmp_path / 'labels'
    labels.mkdir()
    cv2.imwrite(str(labels / 'a.png'), (FINE - 1).astype(np.uint8))
    np.savetxt(labels / 'b.csv', np.zeros((8, 8)), fmt='%d', delimiter=',')
    return {'gt': gt, 'ucm2': ucm, 'labels': labels, 'root': tmp_path}


def _bench(folders: dict[str, Path], source: str, *extra: str) -> list[str]:
    return [
        '--results-dir',
        str(folders[source]),
        '--ground-truth-dir',
        str(folders['gt']),
        '--bsds-bench',
        *extra,
    ]


def test_ucm2_folder_in_parallel_and_resumed(folders, capsys) -> None:
    out = folders['root'] / 'bench'
    args = _bench(folders, 'ucm2', '--thresholds', '5', '--workers', '2', '--bench-out', str(out))
    assert miou_main(args) == 0
    printed = capsys.readouterr().out
    assert 'BSDS500 benchmark: 2 images, input ucm2, 5 thresholds, regions 8-connected' in printed
    # Cut below 0.3 the hierarchy is a's fine annotation: it covers that annotation fully (64 px)
    # and the coarse one's left half fully and right half by 1/2 (32 + 16 px); b is exact (64).
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['covering']['per_threshold'][0][1] == pytest.approx((64 + 32 + 16 + 64) / 192)
    # Image a has 3 regions below 0.3, 2 up to 0.7 and 1 above.
    assert [r['region']['regions'] for r in load_records(out)][0] == [3, 2, 2, 2, 1]
    assert summary['boundary']['ods']['f'] > 0.9
    assert sorted(p.name for p in out.glob('*.txt')) == [
        'eval_RI_VOI.txt',
        'eval_RI_VOI_thr.txt',
        'eval_bdry.txt',
        'eval_bdry_img.txt',
        'eval_bdry_thr.txt',
        'eval_cover.txt',
        'eval_cover_img.txt',
        'eval_cover_th.txt',
    ]
    # The saved records summarise to the same numbers without scoring again.
    assert summarise(load_records(out)) == summary
    # Run again: both records are reused; with other settings the folder is refused.
    assert miou_main(args) == 0
    assert '2 record(s) reused' in capsys.readouterr().out
    assert miou_main(_bench(folders, 'ucm2', '--thresholds', '7', '--bench-out', str(out))) == 2
    assert 'scored with other settings' in capsys.readouterr().err


def test_label_maps_region_only(folders, capsys) -> None:
    args = _bench(folders, 'labels', '--bench-parts', 'region')
    assert miou_main(args) == 0
    printed = capsys.readouterr().out
    assert 'input label_map, 1 thresholds' in printed and 'boundary' not in printed
    # The label maps are the hierarchy's finest cut: the same covering.
    assert f'| covering | {(64 + 32 + 16 + 64) / 192:.4f} |' in printed


@pytest.mark.parametrize(
    ('bad', 'message'),
    [
        (np.full((17, 17), 2.0), r'a\.npy: ucm2 values must lie in \[0, 1\]'),
        (np.zeros((15, 17)), r'a\.npy: ucm2 shape \(15, 17\) does not match the image size'),
    ],
)
def test_bad_hierarchy_is_one_line(folders, capsys, bad: np.ndarray, message: str) -> None:
    np.save(folders['ucm2'] / 'a.npy', bad)
    assert miou_main(_bench(folders, 'ucm2', '--bench-parts', 'region')) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert re.search(message, err)


def test_refusals(folders, capsys) -> None:
    (folders['ucm2'] / 'b.mat').unlink()
    assert miou_main(_bench(folders, 'ucm2')) == 1
    assert 'no prediction' in capsys.readouterr().err
    assert miou_main([*_bench(folders, 'ucm2'), '--dataset', 'voc2012']) == 2
    assert '--bsds-bench scores BSDS500 only' in capsys.readouterr().err
    assert miou_main(_bench(folders, 'labels', '--bsds-input', 'boundary-map')) == 2
    assert 'boundary map has no regions' in capsys.readouterr().err
