"""Reading input images and naming the outputs made from them.

Every image enters the package through :func:`load_image` (a file) or :func:`as_rgb_uint8`
(an array), so the whole pipeline sees one representation: an ``(H, W, 3)`` ``uint8`` RGB array
in the orientation a viewer displays.

Policies (one place, so every tool behaves the same):

- **EXIF orientation** is applied: outputs are in the *displayed* orientation, which is also the
  orientation human annotations of photos are drawn in.
- **16-bit** values are scaled linearly by ``1/257`` (65535 -> 255), not min-max stretched, so a
  dark 16-bit scan stays dark and the same scene saved at 8 and 16 bits loads the same.
- **Alpha** (RGBA, LA, PA, palette transparency) is composited over **white**: fully transparent
  pixels often hold arbitrary colour (commonly black) that a viewer never shows, and segmenting it
  would invent boundaries nobody sees.
- Palette, CMYK, YCbCr, Lab, HSV and 1-bit images are converted to RGB by Pillow; multi-frame
  files (TIFF, WebP) give their first frame; embedded ICC profiles are ignored.
- Truncated or corrupted files are refused rather than padded with grey, and images with more
  than ``max_pixels`` pixels are refused before their pixel data is decoded.
"""

from __future__ import annotations

import os
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .fileio import is_within, same_file, short_name

__all__ = [
    'IMAGE_EXTENSIONS',
    'ImageReadError',
    'as_rgb_uint8',
    'candidate_stems',
    'list_images',
    'load_image',
    'output_stems',
    'save_downscaled',
]

#: Lower-case suffixes :func:`list_images` treats as images.
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {'.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm'}
)

DEFAULT_MAX_PIXELS = 250_000_000

# Pillow's decompression-bomb limit and truncated-image switch are process globals; they are
# set for the duration of one read under this lock so concurrent readers cannot undo each other.
_PIL_GLOBALS_LOCK = threading.Lock()

# Modes Pillow converts to RGB(A) before the array is normalised; everything else it can give
# ('1', 'L', 'LA', 'I', 'I;16*', 'F', 'RGB', 'RGBA') maps directly onto an array as_rgb_uint8 takes.
_CONVERT_TO_RGBA = {'PA', 'RGBa'}
_CONVERT_TO_LA = {'La'}
_CONVERT_TO_RGB = {'CMYK', 'YCbCr', 'LAB', 'HSV', 'RGBX'}


class ImageReadError(ValueError):
    """An image file that cannot be used; the message is one line naming the file and the reason."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = Path(path)
        self.reason = ' '.join(str(reason).split())  # one line, whatever the decoder said
        super().__init__(f'cannot read image {str(self.path)!r}: {self.reason}')


def load_image(
    path: str | os.PathLike[str] | np.ndarray, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """Read an image file (or normalise an array) into displayed-orientation RGB.

    Args:
        path: an image file, or an array accepted by :func:`as_rgb_uint8`.
        max_pixels: images with more than ``H * W`` pixels than this are refused.

    Returns:
        (H, W, 3) uint8 RGB, a new C-contiguous array.

    Raises:
        ImageReadError: the file is missing, empty, not an image, truncated, corrupted, too large
            or in a pixel format that cannot be converted. ``ValueError`` for a bad array.
    """
    if max_pixels < 1:
        raise ValueError(f'max_pixels must be positive, got {max_pixels}')
    if isinstance(path, np.ndarray):
        if path.ndim >= 2 and path.shape[0] * path.shape[1] > max_pixels:
            raise ValueError(
                f'array of {path.shape[0]}x{path.shape[1]} pixels exceeds the limit '
                f'of {max_pixels} pixels (max_pixels)'
            )
        return as_rgb_uint8(path)

    path = Path(path)
    if not path.exists():
        raise ImageReadError(path, 'no such file')
    if not path.is_file():
        raise ImageReadError(path, 'not a regular file')
    if path.stat().st_size == 0:
        raise ImageReadError(path, 'empty file (0 bytes)')

    too_large = f'larger than the limit of {max_pixels} pixels (max_pixels)'
    with _PIL_GLOBALS_LOCK:
        saved_limit, saved_truncated = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
        # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; the warning is
        # turned into an error below so the limit is exactly max_pixels.
        Image.MAX_IMAGE_PIXELS = max_pixels
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('error', Image.DecompressionBombWarning)
                with Image.open(path) as image:
                    width, height = image.size
                    if width * height > max_pixels:
                        raise ImageReadError(path, f'{width}x{height} image is {too_large}')
                    image.load()
                    array = _pil_to_array(ImageOps.exif_transpose(image))
        except ImageReadError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            raise ImageReadError(path, f'image is {too_large} ({err})') from err
        except UnidentifiedImageError as err:
            raise ImageReadError(path, 'not an image file Pillow can identify') from err
        except Exception as err:  # decoders raise OSError, SyntaxError, struct.error...
            raise ImageReadError(path, f'{type(err).__name__}: {err}') from err
        finally:
            Image.MAX_IMAGE_PIXELS = saved_limit
            ImageFile.LOAD_TRUNCATED_IMAGES = saved_truncated
    try:
        return as_rgb_uint8(array)
    except ValueError as err:
        raise ImageReadError(path, str(err)) from err


def _pil_to_array(image: Image.Image) -> np.ndarray:
    """A decoded Pillow image as (H, W) or (H, W, C) in its own value range (see as_rgb_uint8)."""
    if image.mode == 'P':
        # Palette transparency becomes alpha so it is composited like any other alpha.
        image = image.convert('RGBA' if 'transparency' in image.info else 'RGB')
    elif image.mode in _CONVERT_TO_RGBA:
        image = image.convert('RGBA')
    elif image.mode in _CONVERT_TO_LA:
        image = image.convert('LA')
    elif image.mode in _CONVERT_TO_RGB:
        image = image.convert('RGB')
    array = np.asarray(image)
    if array.dtype.byteorder == '>':  # 'I;16B' arrives big-endian
        array = array.astype(array.dtype.newbyteorder('='))
    return array


def as_rgb_uint8(array: np.ndarray) -> np.ndarray:
    """Normalise an image array to RGB ``uint8`` with the module's policies.

    Value ranges, by dtype (the colour channels and alpha are scaled separately):

    - ``bool``: False -> 0, True -> 255. ``uint8``: unchanged. ``uint16``: divided by 257.
    - other integers: unchanged if within [0, 255], divided by 257 if within [0, 65535],
      otherwise min-max stretched.
    - floats: times 255 if within [0, 1], unchanged if within [0, 255], otherwise min-max
      stretched; NaN or infinity is refused. A constant out-of-range array becomes 0.

    Args:
        array: (H, W) or (H, W, 1) grey, (H, W, 2) grey + alpha, (H, W, 3) RGB or
            (H, W, 4) RGBA, any real dtype.

    Returns:
        (H, W, 3) uint8 RGB, always a new C-contiguous array (never a view of ``array``).

    Raises:
        ValueError: wrong shape, empty, non-real dtype or non-finite values.
    """
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4):
        raise ValueError(
            f'expected an image array of shape (H, W), (H, W, 1), (H, W, 2), '
            f'(H, W, 3) or (H, W, 4), got {array.shape}'
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f'image array has no pixels: shape {array.shape}')
    if array.dtype.kind not in 'biuf':
        raise ValueError(f'image array must have a bool, integer or float dtype, got {array.dtype}')

    channels = array.shape[2]
    has_alpha = channels in (2, 4)
    colour = array[..., : channels - 1] if has_alpha else array
    if array.dtype == np.uint8 and not has_alpha:
        return np.array(np.broadcast_to(colour, colour.shape[:2] + (3,)), order='C')

    scaled = _scale_to_255(colour)
    if scaled.shape[2] == 1:
        scaled = np.repeat(scaled, 3, axis=2)
    if has_alpha:
        alpha = _scale_to_255(array[..., -1:]) / 255.0
        scaled = scaled * alpha + 255.0 * (1.0 - alpha)  # composite over white
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _scale_to_255(values: np.ndarray) -> np.ndarray:
    """(H, W, C) of any real dtype -> float64 in [0, 255] following as_rgb_uint8's table."""
    if values.dtype == np.bool_:
        return values.astype(np.float64) * 255.0
    if values.dtype == np.uint8:
        return values.astype(np.float64)
    if values.dtype == np.uint16:
        return values.astype(np.float64) / 257.0
    if values.dtype.kind == 'f' and not np.isfinite(values).all():
        raise ValueError('image array contains NaN or infinite values')
    low, high = float(values.min()), float(values.max())
    as_float = values.astype(np.float64)
    if values.dtype.kind == 'f' and low >= 0.0 and high <= 1.0:
        return as_float * 255.0
    if low >= 0 and high <= 255:
        return as_float
    if values.dtype.kind in 'iu' and low >= 0 and high <= 65535:
        return as_float / 257.0
    if high == low:
        return np.zeros_like(as_float)
    return (as_float - low) * (255.0 / (high - low))


def list_images(
    folder: str | os.PathLike[str],
    *,
    recursive: bool = False,
    exclude: str | os.PathLike[str] | None = None,
) -> tuple[list[Path], list[Path]]:
    """List the images in a folder, and the files that were skipped as not images.

    Hidden files and folders (name starting with ``.``, which includes :func:`atomic_write`'s
    temporary files) are ignored entirely. Symbolic links to folders are not followed, so a
    link cycle cannot make the listing endless.

    Args:
        folder: the folder to list.
        recursive: also list sub-folders.
        exclude: a folder (typically the output folder placed inside ``folder``) whose contents
            are never listed, whether or not it exists yet.

    Returns:
        ``(images, skipped)``: image files (suffix in :data:`IMAGE_EXTENSIONS`, any case) and the
        other regular files, each sorted.

    Raises:
        NotADirectoryError: ``folder`` is not an existing folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f'input folder {str(root)!r} does not exist or is not a folder')
    excluded = Path(exclude).resolve() if exclude is not None else None

    def keep(path: Path) -> bool:
        # The output folder may be reached by another path (a bind mount): compare files too.
        return not path.name.startswith('.') and not (
            excluded is not None and (is_within(path, excluded) or same_file(path, excluded))
        )

    images: list[Path] = []
    skipped: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        # Pruning dirnames in place stops os.walk from descending into them.
        dirnames[:] = [name for name in dirnames if recursive and keep(here / name)]
        for name in filenames:
            path = here / name
            if not keep(path) or not path.is_file():
                continue
            (images if path.suffix.lower() in IMAGE_EXTENSIONS else skipped).append(path)
    return sorted(images), sorted(skipped)


def candidate_stems(path: str | os.PathLike[str]) -> list[str]:
    """The output stems :func:`output_stems` can give ``path``, in the order it tries them (all
    but the numbered last resort): its stem, ``<stem>_<ext>``, ``<stem>_<ext>_<hash>``."""
    path = Path(path)
    ext = path.suffix[1:].lower()
    base = f'{path.stem}_{ext}' if ext else f'{path.stem}_'
    return [path.stem, base, f'{base}_{short_name(path.name)[:8]}']


def output_stems(
    paths: Iterable[str | os.PathLike[str]], kept: Mapping[Path, str] | None = None
) -> dict[Path, str]:
    """Choose an output file stem for each input so no two outputs overwrite each other, and so
    adding an input never renames the outputs another input already has.

    In order:

    1. an input whose outputs exist keeps their stem (``kept``, read from their records);
    2. an input keeps its own stem when no other input shares it and no kept stem is it;
    3. inputs that share a stem become ``<stem>_<ext>`` (``a.jpg``, ``a.png`` -> ``a_jpg``,
       ``a_png``) if that name is free, else ``<stem>_<ext>_<hash>`` with 8 hex digits derived
       from the file name (:func:`~dynaseg.utils.fileio.short_name`), which no other file
       name gives; only if that is taken too (``x/a.jpg`` beside ``y/a.jpg``), ``_2``,
       ``_3``, ... is appended.

    Names are compared case-insensitively and after Unicode NFC normalisation, so the outputs
    are also distinct on case-insensitive file systems (Windows, macOS). The result does not
    depend on the order of ``paths``.

    Args:
        paths: input files; duplicates are counted once.
        kept: stems already given to some of ``paths`` (their outputs exist).

    Returns:
        A dict from each input path (as ``Path``) to its output stem (original case and
        characters; spaces and non-ASCII are kept).
    """
    unique_paths = sorted({Path(p) for p in paths}, key=str)

    def key(name: str) -> str:
        return unicodedata.normalize('NFC', name).casefold()

    result: dict[Path, str] = {}
    taken: set[str] = set()
    for path, stem in sorted((kept or {}).items(), key=lambda item: str(item[0])):
        if Path(path) in unique_paths and key(stem) not in taken:
            result[Path(path)] = stem
            taken.add(key(stem))
    stem_count: dict[str, int] = {}
    for path in unique_paths:
        stem_count[key(path.stem)] = stem_count.get(key(path.stem), 0) + 1
    # Stems that are unique among the inputs are reserved next, so a colliding file's
    # fallback name can never take the plain name of another input.
    for path in unique_paths:
        if path not in result and stem_count[key(path.stem)] == 1 and key(path.stem) not in taken:
            result[path] = path.stem
            taken.add(key(path.stem))
    for path in unique_paths:
        if path in result:
            continue
        candidates = candidate_stems(path)[1:]
        free = [stem for stem in candidates if key(stem) not in taken]
        candidate, number = (free[0] if free else candidates[-1]), 1
        while key(candidate) in taken:
            number += 1
            candidate = f'{candidates[-1]}_{number}'
        result[path] = candidate
        taken.add(key(candidate))
    return result


def save_downscaled(
    path: str | os.PathLike[str], out: str | os.PathLike[str], max_pixels: int
) -> None:
    """Save a copy of the image ``path`` scaled down to at most ``max_pixels`` pixels (aspect
    kept, area interpolation; a smaller image is copied at its size) to ``out``, atomically,
    in the format its suffix names (PNG keeps it lossless). The protocol of "pictures up to N
    pixels": the benchmark's ``--picture-pixels`` and a dataset run's ``picture_pixels``.
    """
    import cv2

    from dynaseg.engine.schedule import fit_pixels

    from .fileio import save_image

    rgb = load_image(path)
    height, width = fit_pixels(rgb.shape[0], rgb.shape[1], max_pixels)
    if (height, width) != rgb.shape[:2]:
        rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
    save_image(out, rgb)
