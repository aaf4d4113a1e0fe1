"""The folder tool's --scribble and reference-mode flags, end to end on tiny folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from dynaseg.cli.segment import main as segment_main
from dynaseg.cli.train_reference import main as train_reference_main
from dynaseg.testing import piecewise_image
from dynaseg.utils.fileio import load_label_map

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_CONFIG = str(REPO_ROOT / 'configs' / '_base_' / 'models' / 'dynaseg_cnn.py')
TINY_ARGS = [
    '--config',
    MODEL_CONFIG,
    '--nChannel',
    '16',
    '--maxIter',
    '3',
    '--threads',
    '1',
    '--no-progress',
    '--visualize',
    '0',
    '--cfg-options',
    'model.silhouette.enabled=False',
]


def write_image(folder: Path, name: str, seed: int) -> np.ndarray:
    image, regions = piecewise_image(16, 20, seed=seed)
    Image.fromarray(image).save(folder / name)
    return regions


def write_scribble(path: Path, regions: np.ndarray) -> None:
    mask = np.full(regions.shape, 255, np.uint8)
    mask[regions == 0] = 2
    mask[regions == 1] = 5
    Image.fromarray(mask, 'L').save(path)


def test_scribble_flag_guides_images_and_skips_the_masks(tmp_path: Path, capsys):
    folder = tmp_path / 'in'
    folder.mkdir()
    for i in range(2):
        write_scribble(folder / f'img{i}_scribble.png', write_image(folder, f'img{i}.png', i))
    out = tmp_path / 'out'
    assert (
        segment_main(
            ['--input_folder', str(folder), '--output_folder', str(out), '--scribble', *TINY_ARGS]
        )
        == 0
    )
    assert sorted(p.name for p in out.glob('*.png')) == ['img0.png', 'img1.png']
    record = json.loads((out / 'records' / 'img0.json').read_text())
    assert record['scribble'].endswith('img0_scribble.png') and record['scribble_classes'] == [2, 5]
    assert load_label_map(out / 'img0.png').shape == (16, 20)
    assert '2 done, 0 skipped (already done), 0 failed' in capsys.readouterr().out


def test_scribble_folder_and_bad_or_missing_masks_fail_per_image(tmp_path: Path, capsys):
    folder, masks = tmp_path / 'in', tmp_path / 'masks'
    folder.mkdir()
    masks.mkdir()
    write_scribble(masks / 'good_scribble.png', write_image(folder, 'good.png', 0))
    write_image(folder, 'rgb.png', 1)
    Image.new('RGB', (20, 16)).save(masks / 'rgb_scribble.png')
    write_image(folder, 'nomask.png', 2)
    code = segment_main(
        [
            '--input_folder',
            str(folder),
            '--output_folder',
            str(tmp_path / 'o'),
            '--scribble_folder',
            str(masks),
            *TINY_ARGS,
        ]
    )
    printed = capsys.readouterr()
    assert code == 1
    assert '1 done, 0 skipped (already done), 2 failed' in printed.out
    assert "rgb_scribble.png': is a RGB image" in printed.out
    assert "nomask_scribble.png': no such file" in printed.out


def test_reference_flags_train_then_segment_with_one_forward(tmp_path: Path):
    train, test = tmp_path / 'train', tmp_path / 'test'
    train.mkdir()
    test.mkdir()
    for i in range(2):
        write_image(train, f't{i}.png', i)
    write_image(test, 'x.png', 5)
    ckpt = tmp_path / 'ref.pth'
    args = ['--input_folder', str(test), '--output_folder', str(tmp_path / 'out'), *TINY_ARGS]
    assert (
        segment_main(
            args
            + [
                '--reference-train-folder',
                str(train),
                '--reference-checkpoint',
                str(ckpt),
                '--reference-iters',
                '2',
            ]
        )
        == 0
    )
    assert all(isinstance(v, torch.Tensor) for v in torch.load(ckpt, weights_only=True).values())
    record = json.loads((tmp_path / 'out' / 'records' / 'x.json').read_text())
    assert record['stop_reason'] == 'reference_forward' and record['iterations'] == 0
    assert load_label_map(tmp_path / 'out' / 'x.png').shape == (16, 20)
    # The saved checkpoint alone gives the same labels.
    assert (
        segment_main(
            [
                '--input_folder',
                str(test),
                '--output_folder',
                str(tmp_path / 'again'),
                '--reference-checkpoint',
                str(ckpt),
                *TINY_ARGS,
            ]
        )
        == 0
    )
    np.testing.assert_array_equal(
        load_label_map(tmp_path / 'again' / 'x.png'), load_label_map(tmp_path / 'out' / 'x.png')
    )


def test_train_reference_tool_writes_a_checkpoint(tmp_path: Path):
    write_image(tmp_path, 'a.png', 0)
    write_scribble(tmp_path / 'a_scribble.png', piecewise_image(16, 20)[1])  # not trained on
    out = tmp_path / 'ckpt' / 'ref.pth'
    assert (
        train_reference_main(
            [
                '--config',
                MODEL_CONFIG,
                '--train-folder',
                str(tmp_path),
                '--out',
                str(out),
                '--iters',
                '2',
                '--threads',
                '1',
                '--cfg-options',
                'model.backbone.channels=8',
                'model.backbone.out_channels=8',
            ]
        )
        == 0
    )
    assert torch.load(out, weights_only=True)['layers.0.weight'].shape[0] == 8
    assert (
        train_reference_main(
            [
                '--config',
                MODEL_CONFIG,
                '--train-folder',
                str(tmp_path / 'none'),
                '--out',
                str(out),
                '--iters',
                '1',
            ]
        )
        == 2
    )
