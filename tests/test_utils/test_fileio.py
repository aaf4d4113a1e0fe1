"""Atomic writers, label-map round trips and output-folder checks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import piecewise_image
from PIL import Image

from dynaseg.utils.fileio import (
    LabelMapError,
    UnwritableDirectoryError,
    atomic_write,
    create_json,
    ensure_writable_dir,
    file_fingerprint,
    is_within,
    leftover_temporaries,
    load_label_map,
    name_too_long,
    same_file,
    save_image,
    save_json,
    save_label_csv,
    save_label_map,
    save_text,
    short_name,
)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith('.tmp'))


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / 'out.bin'
    target.write_bytes(b'old')
    with atomic_write(target) as handle:
        handle.write(b'new')
        assert target.read_bytes() == b'old'  # nothing visible until the block ends
        assert all(name.startswith('.') for name in _leftovers(tmp_path))
    assert target.read_bytes() == b'new'
    assert _leftovers(tmp_path) == []
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)  # normal permissions, not mkstemp's
    with atomic_write(tmp_path / 'text.txt', 'w') as handle:
        handle.write('façade\n')
    assert (tmp_path / 'text.txt').read_text(encoding='utf-8') == 'façade\n'


def test_atomic_write_keeps_old_file_on_error(tmp_path: Path) -> None:
    target = tmp_path / 'out.bin'
    target.write_bytes(b'old')
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write(b'partial')
        raise RuntimeError('boom')
    assert target.read_bytes() == b'old'
    assert _leftovers(tmp_path) == []
    with pytest.raises(ValueError, match='mode'), atomic_write(target, 'a'):
        pass


@pytest.mark.parametrize('high, dtype', [(255, np.uint8), (65535, np.uint16), (300, np.uint16)])
def test_label_map_png_round_trip(tmp_path: Path, high: int, dtype: type) -> None:
    labels = np.random.default_rng(0).integers(0, high + 1, (17, 23))
    labels[0, 0] = high
    path = tmp_path / 'labels.png'
    save_label_map(path, labels)
    with Image.open(path) as stored:
        assert np.asarray(stored).dtype == dtype
        assert np.asarray(stored).ndim == 2
    loaded = load_label_map(path)
    assert loaded.dtype == np.int32
    np.testing.assert_array_equal(loaded, labels)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    'bad',
    [
        np.array([[0, -1]]),
        np.array([[0, 65536]]),
        np.zeros((2, 2), np.float32),
        np.zeros((2, 2, 1), np.uint8),
    ],
)
def test_label_map_refuses_bad_arrays(tmp_path: Path, bad: np.ndarray) -> None:
    with pytest.raises(LabelMapError):
        save_label_map(tmp_path / 'x.png', bad)
    assert not (tmp_path / 'x.png').exists()


def test_label_csv_round_trip_kims_format(tmp_path: Path) -> None:
    _, regions = piecewise_image(6, 5)
    path = tmp_path / 'labels.csv'
    save_label_csv(path, regions)
    assert path.read_text().splitlines()[0] == ','.join(str(v) for v in regions[0])
    np.testing.assert_array_equal(load_label_map(path), regions)
    # One-row maps stay 2-D.
    save_label_csv(path, regions[:1])
    assert load_label_map(path).shape == (1, 5)


def test_label_csv_garbage_refused(tmp_path: Path) -> None:
    path = tmp_path / 'bad.csv'
    path.write_text('1,2\n3,x\n')
    with pytest.raises(LabelMapError, match='bad.csv'):
        load_label_map(path)


def test_colour_png_rejected_as_label_map(tmp_path: Path) -> None:
    image, _ = piecewise_image()
    path = tmp_path / 'render.png'
    save_image(path, image)
    with pytest.raises(LabelMapError, match='colour rendering'):
        load_label_map(path)


def test_palette_png_indices_are_labels(tmp_path: Path) -> None:
    indices = np.array([[0, 1], [21, 255]], np.uint8)  # VOC-style: palette with 255 = ignore
    image = Image.fromarray(indices, 'P')
    image.putpalette(list(range(256)) * 3)
    image.save(tmp_path / 'voc.png')
    np.testing.assert_array_equal(load_label_map(tmp_path / 'voc.png'), indices)


def test_load_label_map_other_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_label_map(tmp_path / 'missing.png')
    (tmp_path / 'x.npy').write_bytes(b'x')
    with pytest.raises(LabelMapError, match='suffix'):
        load_label_map(tmp_path / 'x.npy')
    (tmp_path / 'cut.png').write_bytes(b'\x89PNG\r\n\x1a\n')
    with pytest.raises(LabelMapError, match='unreadable'):
        load_label_map(tmp_path / 'cut.png')


@pytest.mark.parametrize('name', ['out.png', 'out.jpg', 'out photo é.jpeg'])
def test_save_image(tmp_path: Path, name: str) -> None:
    image, _ = piecewise_image(noise=0.0)
    path = tmp_path / name
    save_image(path, image)
    with Image.open(path) as saved:
        assert saved.format == ('PNG' if name.endswith('png') else 'JPEG')
        loaded = np.asarray(saved.convert('RGB')).astype(int)
    # Lossless for PNG; for JPEG a few levels, where swapped red/blue would be off by ~180.
    assert np.abs(loaded - image).mean() <= (0 if name.endswith('png') else 4)
    assert _leftovers(tmp_path) == []
    with pytest.raises(ValueError, match='suffix'):
        save_image(tmp_path / 'out.gif', image)
    with pytest.raises(ValueError, match='uint8'):
        save_image(tmp_path / 'out.png', image.astype(np.float32))


def test_save_json_numpy_and_paths(tmp_path: Path) -> None:
    path = tmp_path / 'metrics.json'
    save_json(
        path,
        {
            'miou': np.float32(0.5),
            'n': np.int64(3),
            'ids': np.arange(2),
            'where': Path('a/b'),
            'name': 'é',
        },
    )
    assert json.loads(path.read_text(encoding='utf-8')) == {
        'miou': 0.5,
        'n': 3,
        'ids': [0, 1],
        'where': 'a/b',
        'name': 'é',
    }
    with pytest.raises(TypeError):
        save_json(tmp_path / 'bad.json', {'x': object()})
    assert not (tmp_path / 'bad.json').exists() and _leftovers(tmp_path) == []


def test_save_text_creates_folder_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / 'docs' / 'table.md'
    save_text(path, '| a |\n')
    save_text(path, '| é |\n')  # replaces, UTF-8
    assert path.read_text(encoding='utf-8') == '| é |\n'
    assert _leftovers(path.parent) == []


def test_ensure_writable_dir_creates_parents(tmp_path: Path) -> None:
    folder = ensure_writable_dir(tmp_path / 'a' / 'b')
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_ensure_writable_dir_under_a_file(tmp_path: Path) -> None:
    # A path below a regular file cannot be created, even by root.
    (tmp_path / 'file').write_text('x')
    with pytest.raises(UnwritableDirectoryError, match='file') as err:
        ensure_writable_dir(tmp_path / 'file' / 'out')
    assert str(tmp_path / 'file' / 'out') in str(err.value)
    with pytest.raises(UnwritableDirectoryError):
        ensure_writable_dir(tmp_path / 'file')


def test_ensure_writable_dir_read_only(tmp_path: Path) -> None:
    """A mode-500 folder is refused to a user and accepted for root, who writes through mode
    bits (the two tests below reach the refusal as root too)."""
    folder = tmp_path / 'ro'
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            assert ensure_writable_dir(folder) == folder
            assert list(folder.iterdir()) == []  # the probe file is gone
        else:
            with pytest.raises(UnwritableDirectoryError, match='cannot write'):
                ensure_writable_dir(folder)
    finally:
        folder.chmod(0o700)


def _deep_folder(base: Path, length: int) -> Path:
    """A folder path of exactly ``length`` characters below ``base`` (components <= 200)."""
    folder = base
    while len(str(folder)) < length:
        room = length - len(str(folder)) - 1  # one '/' before the next component
        folder = folder / ('d' * min(200, max(room, 1)))
    assert len(str(folder)) == length, 'base path too close to the length asked for'
    return folder


def test_ensure_writable_dir_with_no_room_for_a_file_name(tmp_path: Path) -> None:
    """The folder can be created, but no file fits in it: the write probe fails, even as root."""
    path_max = os.pathconf(tmp_path, 'PC_PATH_MAX')  # the longest path, counting its final NUL
    folder = _deep_folder(tmp_path, path_max - 8)  # the probe's name alone is over 20 characters
    with pytest.raises(UnwritableDirectoryError, match='cannot write to output folder') as err:
        ensure_writable_dir(folder)
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert 'name too long' in str(err.value)


SYSFS_FOLDER = Path('/sys/kernel')


@pytest.mark.skipif(not SYSFS_FOLDER.is_dir(), reason='needs Linux sysfs')
def test_ensure_writable_dir_refused_by_the_file_system() -> None:
    """sysfs refuses new files to everyone, root included, whatever its mode bits say."""
    with pytest.raises(UnwritableDirectoryError, match='cannot write to output folder'):
        ensure_writable_dir(SYSFS_FOLDER)


def test_is_within(tmp_path: Path) -> None:
    assert is_within(tmp_path / 'out', tmp_path)
    assert is_within(tmp_path, tmp_path)
    assert is_within(tmp_path / 'x' / '..' / 'out', tmp_path)
    assert not is_within(tmp_path.parent / 'other', tmp_path)
    assert not is_within(tmp_path / '..' / 'sibling', tmp_path)
    (tmp_path / 'link').symlink_to(tmp_path.parent)
    assert not is_within(tmp_path / 'link' / 'elsewhere', tmp_path)  # links are resolved


def test_atomic_write_takes_a_name_at_the_file_systems_limit(tmp_path: Path) -> None:
    """The temporary file's name is derived (short), not the target's name plus more."""
    target = tmp_path / ('x' * 255)
    with atomic_write(target) as handle:
        handle.write(b'data')
        (temporary,) = _leftovers(tmp_path)
        assert temporary.startswith(f'.{short_name(target.name)}.')
        assert leftover_temporaries(target) == [tmp_path / temporary]
    assert target.read_bytes() == b'data' and _leftovers(tmp_path) == []


def test_short_name_is_fixed_length_and_takes_any_name() -> None:
    names = ['a.png', 'x' * 255, os.fsdecode(b'caf\xe9.jpg')]
    assert [len(short_name(n)) for n in names] == [16, 16, 16]
    assert len({short_name(n) for n in names}) == 3 and short_name('a.png') == short_name('a.png')


def test_name_too_long_uses_the_folders_limit_in_bytes(tmp_path: Path) -> None:
    assert name_too_long(tmp_path, 'x' * 255) is None
    assert 'of 256 bytes is over the limit of 255' in (name_too_long(tmp_path, 'x' * 256) or '')
    assert name_too_long(tmp_path, 'é' * 128) is not None  # 256 bytes in UTF-8


def test_same_file_compares_files_not_paths(tmp_path: Path) -> None:
    (tmp_path / 'dir').mkdir()
    (tmp_path / 'alias').symlink_to(tmp_path / 'dir')
    assert same_file(tmp_path / 'alias', tmp_path / 'dir')
    assert same_file(tmp_path / 'dir' / '..' / 'dir', tmp_path / 'dir')
    assert not same_file(tmp_path, tmp_path / 'dir')
    assert not same_file(tmp_path / 'missing', tmp_path / 'missing')


def test_file_fingerprint_is_size_time_and_content(tmp_path: Path) -> None:
    path = tmp_path / 'a.bin'
    path.write_bytes(b'content')
    first = file_fingerprint(path)
    assert first['bytes'] == 7 and len(first['sha256']) == 64
    os.utime(path, (1, 1))  # a copy with another time: the content decides
    assert file_fingerprint(path, first)['sha256'] == first['sha256']
    path.write_bytes(b'CONTENT')
    os.utime(path, ns=(first['mtime_ns'], first['mtime_ns']))
    stale = file_fingerprint(path, first)  # same size and time: the known digest is trusted
    assert stale == first and file_fingerprint(path)['sha256'] != first['sha256']


def test_save_json_keeps_names_that_are_not_utf8(tmp_path: Path) -> None:
    name = os.fsdecode(b'caf\xe9.jpg')
    save_json(tmp_path / 'r.json', {'image': name, 'plain': 'café'})
    text = (tmp_path / 'r.json').read_bytes().decode('utf-8')  # still UTF-8
    assert '\\udce9' in text and 'café' in text
    assert json.loads(text) == {'image': name, 'plain': 'café'}


def test_create_json_creates_once(tmp_path: Path) -> None:
    assert create_json(tmp_path / 'c.json', {'n': 1})
    assert not create_json(tmp_path / 'c.json', {'n': 2})
    assert json.loads((tmp_path / 'c.json').read_text()) == {'n': 1}
    assert _leftovers(tmp_path) == []
