"""tools/train_reference.py: one network over several folders, intermediate checkpoints, and the
run record that lets the shipped warm-start checkpoint be regenerated."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dynaseg.apis.reference_training import intermediate_checkpoint, training_images
from dynaseg.cli.train_reference import main as train_reference_main
from dynaseg.testing import piecewise_image

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-fsf_cnn-m2_fast_bsds500.py'
TINY = ['model.backbone.channels=6', 'model.backbone.out_channels=6']


def write_folder(folder: Path, count: int, first_seed: int = 0) -> Path:
    folder.mkdir(parents=True)
    for k in range(count):
        image, _ = piecewise_image(12, 16, seed=first_seed + k)
        Image.fromarray(image).save(folder / f'img{k}.png')
    # A scribble mask beside the images is not a training image.
    Image.fromarray(np.full((12, 16), 255, np.uint8)).save(folder / 'img0_scribble.png')
    return folder


def train(tmp_path: Path, *extra: str) -> int:
    return train_reference_main(
        [
            '--config',
            str(CONFIG),
            '--train-folder',
            str(tmp_path / 'a'),
            str(tmp_path / 'b'),
            '--out',
            str(tmp_path / 'net.pth'),
            '--iters',
            '4',
            '--threads',
            '1',
            '--cfg-options',
            *TINY,
            *extra,
        ]
    )


def test_several_folders_are_listed_in_order_without_scribbles(tmp_path: Path):
    write_folder(tmp_path / 'a', 2)
    write_folder(tmp_path / 'b', 3, first_seed=5)
    listed = training_images([tmp_path / 'a', tmp_path / 'b'])
    assert [p.parent.name + '/' + p.name for p in listed] == [
        'a/img0.png',
        'a/img1.png',
        'b/img0.png',
        'b/img1.png',
        'b/img2.png',
    ]
    assert len(training_images([tmp_path / 'a', tmp_path / 'b'], limit=3)) == 3
    with pytest.raises(ValueError, match='no training images'):
        (tmp_path / 'empty').mkdir()
        training_images(tmp_path / 'empty')


def test_training_writes_checkpoints_and_a_complete_record(tmp_path: Path):
    write_folder(tmp_path / 'a', 2)
    write_folder(tmp_path / 'b', 1, first_seed=5)
    assert train(tmp_path, '--save-every', '2') == 0
    final = torch.load(tmp_path / 'net.pth', weights_only=True)
    middle = torch.load(intermediate_checkpoint(tmp_path / 'net.pth', 2), weights_only=True)
    assert intermediate_checkpoint(tmp_path / 'net.pth', 2).name == 'net_iter2.pth'
    # The end state is saved once, as the checkpoint itself, not again as _iter4.
    assert not intermediate_checkpoint(tmp_path / 'net.pth', 4).exists()
    assert set(final) == set(middle)
    assert any(not torch.equal(final[k], middle[k]) for k in final if final[k].is_floating_point())
    record = json.loads((tmp_path / 'net.pth.json').read_text())
    assert record['iters'] == 4 and record['save_every'] == 2 and record['seed'] == 0
    assert record['images'] == ['img0.png', 'img1.png', 'img0.png']
    # Absolute folders are recorded by name only: a committed record names no machine's path.
    assert record['folders'] == ['a', 'b']
    assert len(record['losses']) == len(record['label_counts']) == 4
    assert all(1 <= q <= 6 for q in record['label_counts'])
    assert record['command'].startswith('python tools/train_reference.py --config')
    assert record['model']['type'] == 'DynaSegReferenceImage'


def test_training_is_deterministic(tmp_path: Path):
    write_folder(tmp_path / 'a', 2)
    write_folder(tmp_path / 'b', 1, first_seed=5)
    assert train(tmp_path) == 0
    first = torch.load(tmp_path / 'net.pth', weights_only=True)
    assert train(tmp_path) == 0
    second = torch.load(tmp_path / 'net.pth', weights_only=True)
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_bad_save_every_is_a_clear_error(tmp_path: Path, capsys):
    write_folder(tmp_path / 'a', 1)
    write_folder(tmp_path / 'b', 1, first_seed=5)
    assert train(tmp_path, '--save-every', '0') == 2
    assert 'save_every must be >= 1' in capsys.readouterr().err
