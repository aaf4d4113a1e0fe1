"""Evaluation datasets on synthetic folders and on the real data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import scipy.io
from conftest import require_data

import dynaseg.datasets  # noqa: F401  (registers the datasets)
from dynaseg.registry import DATASETS


def _touch_jpg(path: Path, shape: tuple[int, int] = (4, 6)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.zeros((*shape, 3), np.uint8))


def test_bsds_csv_ground_truth_and_missing_image(tmp_path: Path) -> None:
    gt_dir = tmp_path / 'kim_gt'
    gt_dir.mkdir()
    for k in (2, 1):
        np.savetxt(gt_dir / f'12-{k}.csv', np.full((4, 6), k), fmt='%d', delimiter=',')
    np.savetxt(gt_dir / '34-1.csv', np.ones((4, 6)), fmt='%d', delimiter=',')
    _touch_jpg(tmp_path / 'images' / 'test' / '12.jpg')
    cfg = {
        'type': 'BSDS500Dataset',
        'data_root': str(tmp_path),
        'split': 'test',
        'gt_dir': str(gt_dir),
    }
    with pytest.raises(FileNotFoundError, match='1 of 2 listed images are missing.*34'):
        DATASETS.build(cfg)
    with pytest.warns(UserWarning, match='34'):
        dataset = DATASETS.build(dict(cfg, on_missing='skip'))
    assert len(dataset) == 1 and dataset.missing_ids == ['34']
    info = dataset.get_data_info(0)
    assert info['img_id'] == '12' and info['gt_path'][0].endswith('12-1.csv')
    gts = dataset.load_ground_truth(info)
    assert [int(g[0, 0]) for g in gts] == [1, 2]  # annotations in <k> order


def test_bsds_mat_and_images_only(tmp_path: Path) -> None:
    _touch_jpg(tmp_path / 'images' / 'val' / '7.jpg')
    dataset = DATASETS.build({'type': 'BSDS500Dataset', 'data_root': str(tmp_path), 'split': 'val'})
    info = dataset.get_data_info(0)
    assert info['gt_path'] is None
    with pytest.raises(FileNotFoundError, match='no ground truth'):
        dataset.load_ground_truth(info)
    gt_dir = tmp_path / 'groundTruth' / 'val'
    gt_dir.mkdir(parents=True)
    cells = np.empty((1, 1), dtype=object)
    cells[0, 0] = {'Segmentation': np.ones((4, 6), np.uint16)}
    scipy.io.savemat(gt_dir / '7.mat', {'groundTruth': cells})
    dataset = DATASETS.build({'type': 'BSDS500Dataset', 'data_root': str(tmp_path), 'split': 'val'})
    assert dataset.get_data_info(0)['seg_map_path'].endswith('7.mat')
    assert dataset.load_ground_truth(dataset.get_data_info(0))[0].shape == (4, 6)


def test_image_folder_and_pipeline(tmp_path: Path) -> None:
    _touch_jpg(tmp_path / 'a.jpg')
    _touch_jpg(tmp_path / 'sub' / 'b.png')
    (tmp_path / 'notes.txt').write_text('not an image')
    flat = DATASETS.build({'type': 'ImageFolderDataset', 'data_root': str(tmp_path)})
    assert [flat.get_data_info(i)['img_id'] for i in range(len(flat))] == ['a']
    nested = DATASETS.build(
        {
            'type': 'ImageFolderDataset',
            'data_root': str(tmp_path),
            'recursive': True,
            'pipeline': [lambda results: dict(results, seen=True)],
        }
    )
    assert [nested.get_data_info(i)['img_id'] for i in range(len(nested))] == ['a', 'sub/b']
    assert nested[1]['seen'] and nested.load_ground_truth(nested.get_data_info(1)) is None


def test_on_missing_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match='on_missing'):
        DATASETS.build(
            {'type': 'ImageFolderDataset', 'data_root': str(tmp_path), 'on_missing': 'warn'}
        )


def test_real_bsds500_test_split() -> None:
    root = require_data('bsds500')
    dataset = DATASETS.build({'type': 'BSDS500Dataset', 'data_root': str(root), 'split': 'test'})
    assert len(dataset) == 200 and not dataset.missing_ids
    info = dataset.get_data_info(0)
    gts = dataset.load_ground_truth(info)
    image = cv2.imread(info['img_path'])
    assert 4 <= len(gts) <= 8 and gts[0].shape == image.shape[:2]


def test_real_voc2012_val() -> None:
    root = require_data('voc2012')
    cfg = {'type': 'VOC2012SegmentDataset', 'data_root': str(root), 'split': 'val'}
    with pytest.raises(FileNotFoundError, match='1440 of 1449'):
        DATASETS.build(cfg)
    with pytest.warns(UserWarning):
        dataset = DATASETS.build(dict(cfg, on_missing='skip'))
    assert len(dataset.listed_ids) == 1449 and len(dataset) == 9
    info = dataset.get_data_info(0)
    assert info['gt_kind'] == 'class'  # no SegmentationObject folder in the shared data
    gt = dataset.load_ground_truth(info)
    assert gt.shape == cv2.imread(info['img_path']).shape[:2]
    assert 255 in gt and gt.max() == 255 and set(np.unique(gt)) - {255} <= set(range(21))


def test_real_cocostuff_curated_val() -> None:
    root = require_data('cocostuff')
    with pytest.warns(UserWarning, match='2174 of 2175'):
        dataset = DATASETS.build(
            {'type': 'CocoStuff27Dataset', 'data_root': str(root), 'on_missing': 'skip'}
        )
    assert len(dataset.listed_ids) == 2175 and len(dataset) == 1
    info = dataset.get_data_info(0)
    assert info['img_id'] == '000000000785'
    gt = dataset.load_ground_truth(info)
    assert set(np.unique(gt)) - {255} <= set(range(27))
    assert len(dataset.metainfo['classes']) == 27
