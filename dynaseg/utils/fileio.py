"""Writing outputs so an interrupted run never leaves a half-written file, and reading label maps.

Every writer here goes through :func:`atomic_write`: the bytes land in a hidden temporary file in
the target's folder and replace the target in one ``os.replace``, so a crash or Ctrl-C leaves
either the old file or the new one, and a resumed run can trust any output file it finds. The
temporary file's name is short and derived from the target's (:func:`short_name`), so a target
whose name is near the file system's limit can still be written.

Names are whatever the file system holds: a name that is not UTF-8 reaches Python with
surrogate escapes (``photo\\udce9.jpg``); :func:`save_json` writes it as a JSON escape, which reads
back as the same name.

Label maps are ``(H, W)`` arrays of non-negative integer segment ids, stored as single-channel
PNG (8-bit when every id is below 256, else 16-bit) or as Kim et al.'s CSV (comma-separated
integers, one image row per line).

A write error that every later write to the same output would hit too (a full disk, a read-only
mount, a permission refused, a file where an output folder should be) is told apart by
:func:`repeating_write_error`, so a long run can stop at the first one instead of failing every
remaining image after optimising it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

__all__ = [
    'REPEATING_WRITE_ERRORS',
    'LabelMapError',
    'OutputStorageError',
    'UnwritableDirectoryError',
    'atomic_write',
    'create_json',
    'ensure_writable_dir',
    'file_fingerprint',
    'is_within',
    'leftover_temporaries',
    'load_label_map',
    'name_too_long',
    'repeating_write_error',
    'same_file',
    'save_image',
    'save_json',
    'save_label_csv',
    'save_label_map',
    'short_name',
]

#: Suffixes :func:`save_image` can encode.
SAVE_IMAGE_EXTENSIONS: frozenset[str] = frozenset({'.png', '.jpg', '.jpeg', '.bmp'})


def _read_umask() -> int:
    # The umask can only be read by setting it; doing so once at import avoids racing threads later.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


class LabelMapError(ValueError):
    """A label-map file or array that cannot be used; the message names the file or the problem."""


class UnwritableDirectoryError(OSError):
    """An output folder that cannot be created or written to."""


#: The write errors that will repeat for every later image, with the cause a user reads.
REPEATING_WRITE_ERRORS: dict[int, str] = {
    errno.ENOSPC: 'no space left on the output device (disk full)',
    errno.EDQUOT: 'disk quota exceeded on the output',
    errno.EROFS: 'the output is on a read-only file system',
    errno.EACCES: 'permission denied on the output',
    errno.EPERM: 'operation not permitted on the output',
    errno.ENOTDIR: 'an output folder is not a folder',
}


class OutputStorageError(UnwritableDirectoryError):
    """Writing an output failed in a way every later write would too (see
    :data:`REPEATING_WRITE_ERRORS`); ``cause`` says which, ``filename`` names the file."""

    def __init__(self, err: OSError) -> None:
        code = err.errno if err.errno is not None else 0
        super().__init__(code, REPEATING_WRITE_ERRORS.get(code, err.strerror or str(err)))
        self.filename = err.filename
        self.cause = f'{self.strerror} ({errno.errorcode.get(code, code)})'

    def __str__(self) -> str:
        where = f': {self.filename}' if self.filename else ''
        return f'{self.cause}{where}'


def repeating_write_error(err: BaseException) -> OutputStorageError | None:
    """``err`` as an :class:`OutputStorageError` when it will repeat for every later write."""
    if isinstance(err, OutputStorageError):
        return err
    if isinstance(err, OSError) and err.errno in REPEATING_WRITE_ERRORS:
        return OutputStorageError(err)
    return None


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = 'wb') -> Iterator[IO[Any]]:
    """Open a file for writing that appears at ``path`` only when the block ends without error.

    The data goes to ``.<short name>.<random>.tmp`` in the same folder (:func:`short_name`;
    same file system, so the final
    ``os.replace`` is atomic; the leading dot keeps :func:`~dynaseg.utils.image_io.list_images`
    from listing it), is flushed and fsynced, then replaces ``path``. If the block raises, the
    temporary file is removed and ``path`` is left as it was. The new file gets the usual
    permissions (``0o666`` minus the umask), not the temporary file's ``0o600``.

    Args:
        path: the file to create or replace; its folder must exist.
        mode: ``'wb'`` (bytes) or ``'w'`` (UTF-8 text).

    Yields:
        The open temporary file.
    """
    if mode not in ('wb', 'w'):
        raise ValueError(f"atomic_write mode must be 'wb' or 'w', got {mode!r}")
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f'.{short_name(target.name)}.', suffix='.tmp', dir=target.parent
    )
    tmp = Path(tmp_name)
    try:
        handle: IO[Any] = (
            os.fdopen(fd, 'wb') if mode == 'wb' else os.fdopen(fd, 'w', encoding='utf-8')
        )
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, OSError) and err.filename is None:
            err.filename = str(target)  # a failed write() names no file; the message should
        raise


def leftover_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """The temporary files :func:`atomic_write` left for ``path`` (a writer killed mid-write).

    Only call it when no other process can be writing ``path``: the files of a live writer
    look the same.
    """
    target = Path(path)
    # mkstemp's random part: 8 characters of [a-z0-9_]; matching it exactly keeps 'a.png' from
    # claiming the temporaries of 'a.png.png'. Writers before short names used the full name.
    prefixes = '|'.join(re.escape(name) for name in {short_name(target.name), target.name})
    pattern = re.compile(rf'\.(?:{prefixes})\.[a-z0-9_]{{8}}\.tmp')
    try:
        names = os.listdir(target.parent)
    except OSError:  # no folder (or not one, or not readable): no temporaries to find there
        return []
    return [target.parent / name for name in names if pattern.fullmatch(name)]


def short_name(name: str) -> str:
    """A short stand-in for the file name ``name`` in the names of helper files (temporaries,
    claims): 16 hex digits of its SHA-256 (of its bytes as the file system holds them).

    Helper files add a prefix and a suffix to a name; a derived name of fixed length keeps
    them within the file system's limit however long ``name`` is.
    """
    return hashlib.sha256(os.fsencode(name)).hexdigest()[:16]


def name_too_long(folder: str | os.PathLike[str], name: str) -> str | None:
    """Why ``name`` cannot be created in ``folder`` (its bytes over the file system's limit on
    a name, usually 255), or None when it fits."""
    try:
        limit = os.pathconf(folder, 'PC_NAME_MAX')
    except (OSError, ValueError):  # no such folder yet, or no answer: the usual limit
        limit = 255
    size = len(os.fsencode(name))
    if size <= limit:
        return None
    return f'output name of {size} bytes is over the limit of {limit} of the output folder'


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths are the same file or folder (same device and inode), however each is
    reached: links, ``..``, bind mounts. False when either does not exist."""
    try:
        return os.path.samestat(os.stat(a), os.stat(b))
    except OSError:
        return False


def file_fingerprint(path: str | os.PathLike[str], known: dict | None = None) -> dict[str, Any]:
    """What identifies a file's content: ``{'bytes', 'mtime_ns', 'sha256'}``.

    Args:
        path: the file.
        known: a fingerprint taken earlier; when its size and modification time match, its
            digest is reused instead of reading the file again (a resumed run of many large
            images). A copied or moved file whose time changed is read, and matches by content.

    Raises:
        OSError: the file cannot be read.
    """
    stat = os.stat(path)
    fingerprint: dict[str, Any] = {'bytes': stat.st_size, 'mtime_ns': stat.st_mtime_ns}
    if known and all(known.get(k) == v for k, v in fingerprint.items()) and known.get('sha256'):
        return dict(fingerprint, sha256=known['sha256'])
    with open(path, 'rb') as handle:
        fingerprint['sha256'] = hashlib.file_digest(handle, 'sha256').hexdigest()
    return fingerprint


def _write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_write(path, 'wb') as handle:
        handle.write(data)


def _check_label_array(labels: np.ndarray) -> np.ndarray:
    """Validate a (H, W) integer label map; returns it as an ndarray."""
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.size == 0:
        raise LabelMapError(
            f'a label map must be a non-empty (H, W) array, got shape {labels.shape}'
        )
    if labels.dtype.kind not in 'biu':
        raise LabelMapError(f'a label map must have an integer dtype, got {labels.dtype}')
    return labels


def save_label_map(path: str | os.PathLike[str], labels: np.ndarray) -> None:
    """Save a label map as a single-channel PNG, atomically.

    Args:
        path: a ``.png`` file.
        labels: (H, W) integer segment ids in [0, 65535]; stored as 8-bit when all are below
            256, else 16-bit.

    Raises:
        LabelMapError: wrong shape or dtype, a negative id, an id of 65536 or more, or a
            suffix other than ``.png``.
    """
    if Path(path).suffix.lower() != '.png':
        raise LabelMapError(
            f'label maps are saved as .png (or with save_label_csv as .csv), got {str(path)!r}'
        )
    labels = _check_label_array(labels)
    low, high = int(labels.min()), int(labels.max())
    if low < 0:
        raise LabelMapError(f'label map for {str(path)!r} has a negative id ({low})')
    if high >= 65536:
        raise LabelMapError(
            f'label map for {str(path)!r} has id {high}; a PNG label map holds '
            'at most 65535 (use save_label_csv for more)'
        )
    stored: npt.NDArray[np.unsignedinteger[Any]] = labels.astype(
        np.uint8 if high < 256 else np.uint16
    )
    ok, encoded = cv2.imencode('.png', stored)
    if not ok:
        raise LabelMapError(f'OpenCV could not encode the label map for {str(path)!r}')
    _write_bytes(path, encoded.tobytes())


def save_label_csv(path: str | os.PathLike[str], labels: np.ndarray) -> None:
    """Save a label map in Kim et al.'s CSV format (``np.savetxt``, ``','``, ``'%d'``), atomically.

    Args:
        path: the ``.csv`` file.
        labels: (H, W) integer segment ids.
    """
    labels = _check_label_array(labels)
    with atomic_write(path, 'w') as handle:
        np.savetxt(handle, labels, fmt='%d', delimiter=',')


def load_label_map(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a label map written by :func:`save_label_map`, :func:`save_label_csv` or Kim's code.

    ``.png``: single-channel 1-, 8- or 16-bit, or a palette PNG (its indices are the ids, as in
    PASCAL VOC annotations). ``.csv``: comma-separated integers.

    Args:
        path: a ``.png`` or ``.csv`` file.

    Returns:
        (H, W) int32 segment ids.

    Raises:
        FileNotFoundError: no such file.
        LabelMapError: unsupported suffix, a colour (3- or 4-channel) PNG, unreadable content.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'label map {str(path)!r} does not exist')
    suffix = path.suffix.lower()
    if suffix == '.csv':
        return _load_label_csv(path)
    if suffix != '.png':
        raise LabelMapError(
            f'label map {str(path)!r}: unsupported suffix {path.suffix!r} (expected .png or .csv)'
        )
    try:
        with Image.open(path) as image:
            image.load()
            mode = image.mode
            if mode in ('RGB', 'RGBA', 'LA', 'RGBX', 'CMYK'):
                raise LabelMapError(
                    f'label map {str(path)!r} is a {mode} image; it looks like a colour rendering, '
                    'not a label map (expected a single-channel 8/16-bit PNG of segment ids)'
                )
            labels = np.asarray(image)
    except LabelMapError:
        raise
    except Exception as err:  # Pillow raises OSError, SyntaxError, ...
        raise LabelMapError(
            f'label map {str(path)!r} is unreadable: {type(err).__name__}: {err}'
        ) from err
    if labels.ndim != 2:
        raise LabelMapError(f'label map {str(path)!r} has shape {labels.shape}, expected (H, W)')
    return labels.astype(np.int32)


def _load_label_csv(path: Path) -> np.ndarray:
    try:
        labels = np.loadtxt(path, delimiter=',', dtype=np.int64, ndmin=2)
    except ValueError as err:
        raise LabelMapError(
            f'label map {str(path)!r} is not a CSV of integers: {" ".join(str(err).split())}'
        ) from err
    if labels.size == 0:
        raise LabelMapError(f'label map {str(path)!r} is empty')
    info = np.iinfo(np.int32)
    if labels.min() < info.min or labels.max() > info.max:
        raise LabelMapError(f'label map {str(path)!r} has ids outside the int32 range')
    return labels.astype(np.int32)


def save_image(path: str | os.PathLike[str], rgb: np.ndarray, *, jpeg_quality: int = 95) -> None:
    """Save an RGB image, atomically, in the format its suffix names.

    Args:
        path: a ``.png``, ``.jpg``, ``.jpeg`` or ``.bmp`` file.
        rgb: (H, W, 3) uint8 RGB, or (H, W) uint8 grey.
        jpeg_quality: 0-100, for JPEG only.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in SAVE_IMAGE_EXTENSIONS:
        raise ValueError(
            f'cannot save image {str(path)!r}: suffix must be one of '
            f'{sorted(SAVE_IMAGE_EXTENSIONS)}'
        )
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or not (rgb.ndim == 2 or (rgb.ndim == 3 and rgb.shape[2] == 3)):
        raise ValueError(
            f'save_image expects (H, W, 3) or (H, W) uint8, got {rgb.shape} {rgb.dtype}'
        )
    bgr = rgb[..., ::-1] if rgb.ndim == 3 else rgb  # OpenCV encoders take BGR
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if suffix in ('.jpg', '.jpeg') else []
    ok, encoded = cv2.imencode(suffix, np.ascontiguousarray(bgr), params)
    if not ok:
        raise ValueError(f'OpenCV could not encode {str(path)!r}')
    _write_bytes(path, encoded.tobytes())


def _json_default(obj: Any) -> Any:
    # Metrics and configs are full of numpy scalars and paths, which json cannot encode itself.
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f'object of type {type(obj).__name__} is not JSON serialisable')


#: A lone surrogate: how Python holds a byte of a file name that is not UTF-8.
_SURROGATE = re.compile('[\ud800-\udfff]')


def save_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Save ``obj`` as indented UTF-8 JSON, atomically.

    NumPy scalars and arrays and ``os.PathLike`` objects are converted; NaN and infinity are
    written as Python's ``json`` writes them (``NaN``, ``Infinity``), which ``json.load`` reads.
    A file name that is not UTF-8 (lone surrogates) is written as ``\\udcXX`` escapes, so the
    file stays UTF-8 and ``json.load`` gives the name back. The text is built before the file
    is opened, so an unserialisable object leaves no file.
    """
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=_json_default) + '\n'
    # Surrogates only occur inside JSON strings, where an escape means the same character.
    text = _SURROGATE.sub(lambda match: f'\\u{ord(match.group()):04x}', text)
    with atomic_write(path, 'w') as handle:
        handle.write(text)


def create_json(path: str | os.PathLike[str], obj: Any) -> bool:
    """Create ``path`` holding ``obj`` as :func:`save_json` writes it, unless it exists.

    Atomic and exclusive: the whole file is written under a temporary name, then hard-linked
    to ``path``, which fails if it exists. Of processes creating it at once, exactly one
    succeeds, and no reader ever sees a partial file. On a file system without hard links the
    file is created with ``O_EXCL`` and then written (still exclusive).

    Returns:
        True when this call created the file, False when it existed.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f'.{short_name(target.name)}.', suffix='.tmp', dir=target.parent
    )
    os.close(fd)
    try:
        save_json(tmp_name, obj)
        os.link(tmp_name, target)
    except FileExistsError:
        return False
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        try:
            with open(target, 'xb') as handle:
                handle.write(Path(tmp_name).read_bytes())
        except FileExistsError:
            return False
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return True


def save_text(path: str | os.PathLike[str], text: str) -> None:
    """Save a UTF-8 text file (a report, a table) atomically, creating its folder.

    A run killed while a report is rewritten leaves the previous report, never half of one.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, 'w') as handle:
        handle.write(text)


def ensure_writable_dir(path: str | os.PathLike[str]) -> Path:
    """Create a folder (with its parents) and prove it is writable; call before any work starts.

    Writability is tested by creating and removing a hidden temporary file, which catches
    read-only mounts and ACLs that permission bits do not show.

    Returns:
        The folder as a ``Path``.

    Raises:
        UnwritableDirectoryError: the folder cannot be created or written; the message names it.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UnwritableDirectoryError(
            f'cannot create output folder {str(folder)!r}: {err.strerror or err}'
        ) from err
    try:
        fd, probe = tempfile.mkstemp(prefix='.write-test.', suffix='.tmp', dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise UnwritableDirectoryError(
            f'cannot write to output folder {str(folder)!r}: {err.strerror or err}'
        ) from err
    return folder


def is_within(child: str | os.PathLike[str], parent: str | os.PathLike[str]) -> bool:
    """Whether ``child`` is ``parent`` or lies inside it, after resolving links and ``..``.

    Neither path needs to exist.
    """
    return Path(child).resolve().is_relative_to(Path(parent).resolve())
