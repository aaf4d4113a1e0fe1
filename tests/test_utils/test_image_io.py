"""load_image / as_rgb_uint8 policies, list_images and output_stems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import piecewise_image
from PIL import Image

from dynaseg.utils.image_io import (
    IMAGE_EXTENSIONS,
    ImageReadError,
    as_rgb_uint8,
    candidate_stems,
    list_images,
    load_image,
    output_stems,
)


def _noise(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _assert_one_line_naming(err: pytest.ExceptionInfo[ImageReadError], path: Path) -> None:
    message = str(err.value)
    assert '\n' not in message
    assert str(path) in message


# --- files that must be refused -------------------------------------------------------------


def test_zero_byte_file_refused(tmp_path: Path) -> None:
    path = tmp_path / 'empty.png'
    path.touch()
    with pytest.raises(ImageReadError, match='empty') as err:
        load_image(path)
    _assert_one_line_naming(err, path)


def test_missing_file_and_folder_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match='no such file'):
        load_image(tmp_path / 'missing.png')
    with pytest.raises(ImageReadError, match='not a regular file'):
        load_image(tmp_path)


@pytest.mark.parametrize('fmt', ['JPEG', 'PNG'])
def test_truncated_file_refused_not_grey(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f'cut.{fmt.lower()}'
    Image.fromarray(_noise()).save(path, format=fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match='truncated') as err:
        load_image(path)
    _assert_one_line_naming(err, path)


def test_jpeg_missing_only_end_marker_refused(tmp_path: Path) -> None:
    path = tmp_path / 'noeoi.jpg'
    Image.fromarray(_noise()).save(path)
    path.write_bytes(path.read_bytes()[:-2])
    with pytest.raises(ImageReadError):
        load_image(path)


def test_corrupted_png_data_refused(tmp_path: Path) -> None:
    path = tmp_path / 'bad.png'
    Image.fromarray(_noise()).save(path)
    data = bytearray(path.read_bytes())
    data[100:400] = bytes(300)  # zero out part of the compressed IDAT stream
    path.write_bytes(bytes(data))
    with pytest.raises(ImageReadError) as err:
        load_image(path)
    _assert_one_line_naming(err, path)


@pytest.mark.parametrize('name', ['random.jpg', 'notes.txt'])
def test_non_image_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(1).bytes(700) if name.endswith('jpg') else b'hello\n')
    with pytest.raises(ImageReadError, match='not an image') as err:
        load_image(path)
    _assert_one_line_naming(err, path)


def test_over_limit_refused_with_limit_named(tmp_path: Path) -> None:
    path = tmp_path / 'big.png'
    Image.fromarray(_noise(50, 40)).save(path)
    saved = Image.MAX_IMAGE_PIXELS
    for limit in (1999, 999):  # Pillow's warning band and its error band
        with pytest.raises(ImageReadError, match=f'limit of {limit} pixels') as err:
            load_image(path, max_pixels=limit)
        _assert_one_line_naming(err, path)
    assert load_image(path, max_pixels=2000).shape == (50, 40, 3)  # the limit is inclusive
    assert Image.MAX_IMAGE_PIXELS == saved  # Pillow's global is restored
    with pytest.raises(ValueError, match='2000'):
        load_image(_noise(50, 41), max_pixels=2000)


# --- pixel formats ---------------------------------------------------------------------------


def test_rgb_png_round_trip_exact(tmp_path: Path) -> None:
    image, _ = piecewise_image()
    path = tmp_path / 'rgb.png'
    Image.fromarray(image).save(path)
    loaded = load_image(path)
    assert loaded.dtype == np.uint8 and loaded.flags.c_contiguous
    np.testing.assert_array_equal(loaded, image)


def test_grayscale_replicated(tmp_path: Path) -> None:
    grey = np.arange(48 * 64, dtype=np.uint32).reshape(48, 64) % 256
    path = tmp_path / 'grey.png'
    Image.fromarray(grey.astype(np.uint8), 'L').save(path)
    loaded = load_image(path)
    assert loaded.shape == (48, 64, 3)
    for channel in range(3):
        np.testing.assert_array_equal(loaded[..., channel], grey)


def test_16bit_png_divided_by_257(tmp_path: Path) -> None:
    values = np.array([[0, 257, 257 * 100, 65535], [128, 129, 1000, 30000]], np.uint16)
    path = tmp_path / 'deep.png'
    Image.fromarray(values).save(path)
    with Image.open(path) as check:
        assert check.mode.startswith('I')  # really stored as 16-bit
    loaded = load_image(path)
    expected = np.rint(values / 257.0).astype(np.uint8)
    np.testing.assert_array_equal(loaded[..., 0], expected)
    assert loaded[0, :, 0].tolist() == [0, 1, 100, 255]


def test_one_bit(tmp_path: Path) -> None:
    bits = np.zeros((5, 7), bool)
    bits[1:3, 2:6] = True
    path = tmp_path / 'bits.png'
    Image.fromarray(bits).convert('1').save(path)
    loaded = load_image(path)
    np.testing.assert_array_equal(loaded[..., 1], np.where(bits, 255, 0))


def test_float_tiff_in_unit_range(tmp_path: Path) -> None:
    values = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    path = tmp_path / 'float.tif'
    Image.fromarray(values, 'F').save(path)
    np.testing.assert_array_equal(load_image(path)[..., 2], np.rint(values * 255).astype(np.uint8))


def test_rgba_composited_over_white(tmp_path: Path) -> None:
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., :3] = (200, 0, 0)
    rgba[0, 0, 3] = 255  # opaque red
    rgba[0, 1, 3] = 0  # transparent: white, not the stored red
    rgba[0, 2, 3] = 128
    path = tmp_path / 'alpha.png'
    Image.fromarray(rgba, 'RGBA').save(path)
    loaded = load_image(path)
    assert loaded[0, 0].tolist() == [200, 0, 0]
    assert loaded[0, 1].tolist() == [255, 255, 255]
    half = 128 / 255
    assert loaded[0, 2].tolist() == [
        round(200 * half + 255 * (1 - half)),
        round(255 * (1 - half)),
        round(255 * (1 - half)),
    ]


def test_la_composited_over_white(tmp_path: Path) -> None:
    la = np.array([[[0, 255], [0, 0], [100, 255]]], np.uint8)
    path = tmp_path / 'la.png'
    Image.fromarray(la, 'LA').save(path)
    loaded = load_image(path)
    assert loaded[0, :, 0].tolist() == [0, 255, 100]


def test_palette_and_palette_transparency(tmp_path: Path) -> None:
    indices = np.array([[0, 1], [2, 1]], np.uint8)
    image = Image.fromarray(indices, 'P')
    image.putpalette([10, 20, 30, 200, 100, 0, 0, 0, 255])
    path = tmp_path / 'pal.png'
    image.save(path)
    loaded = load_image(path)
    assert loaded[0, 0].tolist() == [10, 20, 30]
    assert loaded[1, 0].tolist() == [0, 0, 255]

    image.info['transparency'] = 2
    path = tmp_path / 'pal_t.png'
    image.save(path, transparency=2)
    assert load_image(path)[1, 0].tolist() == [255, 255, 255]


def test_cmyk_jpeg_to_rgb(tmp_path: Path) -> None:
    path = tmp_path / 'cmyk.jpg'
    Image.new('CMYK', (16, 8), (0, 255, 255, 0)).save(path, quality=95)  # pure red in CMYK
    loaded = load_image(path)
    assert loaded.shape == (8, 16, 3)
    assert np.abs(loaded.astype(int) - [255, 0, 0]).max() < 12


def test_exif_orientation_applied(tmp_path: Path) -> None:
    stored = np.zeros((20, 40, 3), np.uint8)  # stored landscape, marker in the top-left
    stored[:8, :8] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    path = tmp_path / 'rotated.jpg'
    Image.fromarray(stored).save(path, exif=exif, quality=95)
    loaded = load_image(path)
    assert loaded.shape == (40, 20, 3)  # displayed portrait
    assert loaded[:6, -6:].min() > 200  # the marker is now top-right
    assert loaded[-6:, :6].max() < 50


@pytest.mark.parametrize('shape', [(1, 1), (2, 2), (1, 37), (37, 1), (3, 200)])
def test_tiny_and_thin_images(tmp_path: Path, shape: tuple[int, int]) -> None:
    image = _noise(*shape)
    path = tmp_path / 'tiny.png'
    Image.fromarray(image).save(path)
    np.testing.assert_array_equal(load_image(path), image)


def test_odd_file_names(tmp_path: Path) -> None:
    image = _noise(4, 5)
    for name in ('with space.png', 'façade ünïcode 画像.png'):
        path = tmp_path / name
        Image.fromarray(image).save(path)
        np.testing.assert_array_equal(load_image(path), image)
        np.testing.assert_array_equal(load_image(str(path)), image)


# --- arrays ----------------------------------------------------------------------------------


def test_array_shapes_and_dtypes() -> None:
    grey = np.array([[0, 128], [255, 7]], np.uint8)
    expected = np.repeat(grey[..., None], 3, axis=2)
    np.testing.assert_array_equal(as_rgb_uint8(grey), expected)
    np.testing.assert_array_equal(as_rgb_uint8(grey[..., None]), expected)
    np.testing.assert_array_equal(as_rgb_uint8(grey.astype(np.uint16) * 257), expected)
    np.testing.assert_array_equal(as_rgb_uint8(grey / 255.0), expected)
    np.testing.assert_array_equal(as_rgb_uint8(grey.astype(np.float32)), expected)  # 0..255 floats
    rgba = np.concatenate([expected, np.full((2, 2, 1), 255, np.uint8)], axis=2)
    np.testing.assert_array_equal(as_rgb_uint8(rgba), expected)
    np.testing.assert_array_equal(load_image(rgba), expected)


def test_array_out_of_range_min_max_and_copy() -> None:
    values = np.array([[-1.0, 3.0]])
    assert as_rgb_uint8(values)[0, :, 0].tolist() == [0, 255]
    rgb = _noise(3, 3)
    out = as_rgb_uint8(rgb)
    out[0, 0] = 0
    assert out is not rgb and not np.shares_memory(out, rgb)


@pytest.mark.parametrize(
    'bad',
    [
        np.zeros((2, 2, 5)),
        np.zeros((0, 3, 3)),
        np.zeros(4),
        np.array([[np.nan]]),
        np.zeros((2, 2), complex),
    ],
)
def test_array_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        as_rgb_uint8(bad)


# --- listing and naming ----------------------------------------------------------------------


def test_list_images(tmp_path: Path) -> None:
    for name in (
        'b.JPG',
        'a.png',
        'c.Tiff',
        'd.webp',
        'notes.txt',
        '.hidden.png',
        '.a.png.1234.tmp',
        'out/x.png',
        'sub/e.jpeg',
        'sub/skip.csv',
        '.git/f.png',
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b'x')
    images, skipped = list_images(tmp_path, exclude=tmp_path / 'out')
    assert [p.name for p in images] == ['a.png', 'b.JPG', 'c.Tiff', 'd.webp']
    assert [p.name for p in skipped] == ['notes.txt']
    images, skipped = list_images(tmp_path, recursive=True, exclude=tmp_path / 'out')
    assert [p.relative_to(tmp_path).as_posix() for p in images] == [
        'a.png',
        'b.JPG',
        'c.Tiff',
        'd.webp',
        'sub/e.jpeg',
    ]
    assert [p.name for p in skipped] == ['notes.txt', 'skip.csv']
    images, _ = list_images(tmp_path, recursive=True)
    assert 'out/x.png' in [p.relative_to(tmp_path).as_posix() for p in images]
    assert {'.jpg', '.png', '.pgm', '.ppm', '.bmp'} <= IMAGE_EXTENSIONS


def test_list_images_requires_folder(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match='missing'):
        list_images(tmp_path / 'missing')


def test_output_stems_plain_and_collisions() -> None:
    paths = [Path('in/a.jpg'), Path('in/a.png'), Path('in/b.png'), Path('in/my photo é.jpg')]
    stems = output_stems(paths)
    assert stems == {
        Path('in/a.jpg'): 'a_jpg',
        Path('in/a.png'): 'a_png',
        Path('in/b.png'): 'b',
        Path('in/my photo é.jpg'): 'my photo é',
    }
    assert output_stems(reversed(paths)) == stems  # order does not matter


def test_output_stems_adversarial() -> None:
    paths = [
        Path('a.jpg'),
        Path('a.png'),
        Path('a_jpg.png'),
        Path('a_png_2.bmp'),
        Path('x/c.jpg'),
        Path('y/c.jpg'),
        Path('A.JPG'),
        Path('d.png'),
        Path('D.png'),
    ]
    stems = output_stems(paths)
    assert set(stems) == set(paths)
    keys = [s.casefold() for s in stems.values()]
    assert len(set(keys)) == len(keys)  # distinct even on case-insensitive file systems
    assert stems[Path('a_jpg.png')] == 'a_jpg'  # a unique stem is never displaced
    assert stems[Path('a_png_2.bmp')] == 'a_png_2'
    shuffled = sorted(paths, key=lambda p: p.name, reverse=True)
    assert stems == output_stems(shuffled)


def test_output_stems_keep_the_stems_of_existing_outputs() -> None:
    """Adding a file never renames another input's outputs: stems in use are kept."""
    alone = output_stems([Path('a.jpg')])
    assert alone == {Path('a.jpg'): 'a'}  # one image per stem: its plain stem
    both = output_stems([Path('a.jpg'), Path('a.png')], kept=alone)
    assert both == {Path('a.jpg'): 'a', Path('a.png'): 'a_png'}
    pair = output_stems([Path('a.jpg'), Path('a.png')])
    assert pair == {Path('a.jpg'): 'a_jpg', Path('a.png'): 'a_png'}
    three = output_stems([Path('a.jpg'), Path('a.png'), Path('a_png.bmp')], kept=pair)
    assert three[Path('a.png')] == 'a_png' and three[Path('a.jpg')] == 'a_jpg'
    assert three[Path('a_png.bmp')] == 'a_png_bmp'


def test_output_stems_fall_back_to_a_suffix_of_the_file_name() -> None:
    """``a_png`` is another input's own stem: ``a.png`` gets a suffix derived from its name,
    the same whatever else the folder holds."""
    from dynaseg.utils.fileio import short_name

    stems = output_stems([Path('a.jpg'), Path('a.png'), Path('a_png.bmp')])
    assert stems[Path('a_png.bmp')] == 'a_png'
    assert stems[Path('a.png')] == f'a_png_{short_name("a.png")[:8]}'
    more = output_stems([Path('a.jpg'), Path('a.png'), Path('a_png.bmp'), Path('a_jpg.gif')])
    assert more[Path('a.png')] == stems[Path('a.png')]
    assert candidate_stems(Path('a.png')) == ['a', 'a_png', stems[Path('a.png')]]
