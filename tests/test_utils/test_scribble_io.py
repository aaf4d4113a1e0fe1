"""Scribble masks are named, read and validated in one place (dynaseg.utils.scribble_io)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dynaseg.utils.scribble_io import (
    UNLABELLED,
    ScribbleError,
    is_scribble_file,
    read_scribble,
    scribble_classes,
    scribble_path_for,
    validate_scribble,
)

CHANNELS = 32


def save_png(path: Path, array: np.ndarray) -> Path:
    Image.fromarray(array.astype(np.uint8)).save(path)
    return path


def stroke_mask(shape: tuple[int, int] = (6, 8)) -> np.ndarray:
    mask = np.full(shape, UNLABELLED, np.uint8)
    mask[2, 1:4] = 3
    mask[4, 6] = 0
    return mask


def test_read_scribble_returns_the_labels_as_int64(tmp_path: Path):
    mask = stroke_mask()
    loaded = read_scribble(save_png(tmp_path / 'a_scribble.png', mask), (6, 8), CHANNELS)
    assert loaded.dtype == np.int64
    np.testing.assert_array_equal(loaded, mask.astype(np.int64))
    assert scribble_classes(loaded) == [0, 3]


def test_naming_rule_and_its_inverse(tmp_path: Path):
    assert scribble_path_for(tmp_path / 'a.jpg') == tmp_path / 'a_scribble.png'
    assert scribble_path_for('x/a.b.jpg', tmp_path) == tmp_path / 'a.b_scribble.png'
    assert is_scribble_file(scribble_path_for('x/a.jpg'))
    assert is_scribble_file('X/A_SCRIBBLE.PNG')
    assert not is_scribble_file('x/a.jpg') and not is_scribble_file('x/scribble.png')


@pytest.mark.parametrize(
    'case,match',
    [
        ('size', r"'.*bad_scribble\.png'.*is 9x6 \(WxH\) but the image is 8x6"),
        ('rgb', r"'.*bad_scribble\.png'.*is a RGB image"),
        ('empty', r"'.*bad_scribble\.png'.*has no scribbled pixel \(every value is 255\)"),
        ('channels', r"'.*bad_scribble\.png'.*label 40 is >= q_max = 32"),
    ],
)
def test_bad_files_raise_one_line_errors_naming_the_file(tmp_path: Path, case: str, match: str):
    mask = np.full((6, 8), UNLABELLED, np.uint8)
    mask[1, 1] = 40 if case == 'channels' else 1
    if case == 'size':
        mask = np.full((6, 9), 1, np.uint8)
    elif case == 'empty':
        mask[:] = UNLABELLED
    array = np.repeat(mask[..., None], 3, axis=2) if case == 'rgb' else mask
    path = save_png(tmp_path / 'bad_scribble.png', array)
    with pytest.raises(ScribbleError, match=match) as info:
        read_scribble(path, (6, 8), CHANNELS)
    assert '\n' not in str(info.value)
    assert info.value.source == str(path)


def test_missing_file_is_a_scribble_error(tmp_path: Path):
    with pytest.raises(ScribbleError, match='no such file'):
        read_scribble(tmp_path / 'none_scribble.png')


def test_validate_scribble_checks_arrays_and_tensors_alike():
    mask = stroke_mask().astype(np.int32)
    np.testing.assert_array_equal(validate_scribble(torch.from_numpy(mask), (6, 8), 4), mask)
    with pytest.raises(ScribbleError, match="'<array>'.*dtype float"):
        validate_scribble(np.zeros((2, 2), np.float32))
    with pytest.raises(ScribbleError, match='negative value -1'):
        validate_scribble(np.full((2, 2), -1))
    with pytest.raises(ScribbleError, match=r'has shape \(2, 2, 1\)'):
        validate_scribble(np.zeros((2, 2, 1), np.uint8))
    # A label equal to the channel count is one too many (labels index channels 0..C-1).
    with pytest.raises(ScribbleError, match="'mine'.*label 3 is >= q_max = 3"):
        validate_scribble(mask, None, 3, source='mine')
