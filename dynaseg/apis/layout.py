"""Where a run's outputs go, and how one image's outputs are written: the label map last.

Both runners write through :func:`write_image_outputs`: the record and side outputs first, the
label map last, each atomically, so a label map's existence marks its image as done and a rerun
resumes. If any write fails (or the run is interrupted mid-way), the image's other files are
removed: no record or rendering is left without its label map.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dynaseg.hierarchy import RegionHierarchy, save_hierarchy
from dynaseg.utils.fileio import (
    ensure_writable_dir,
    leftover_temporaries,
    load_label_map,
    repeating_write_error,
    save_image,
    save_json,
    save_label_csv,
    save_label_map,
)
from dynaseg.utils.image_io import load_image
from dynaseg.utils.labels import to_consecutive
from dynaseg.visualization import colorize_labels, overlay

from .records import image_record
from .summary import ImageOutcome

if TYPE_CHECKING:
    from dynaseg.engine import OptimizationRecord

__all__ = [
    'DatasetLayout',
    'all_or_nothing',
    'OutputLayout',
    'complete_side_outputs',
    'discard_partial_outputs',
    'write_image_outputs',
]


@dataclass(frozen=True)
class OutputLayout:
    """Where the outputs of one image stem go inside the output folder."""

    root: Path

    def label_map(self, stem: str) -> Path:
        return self.root / f'{stem}.png'

    def csv(self, stem: str) -> Path:
        return self.root / f'{stem}.csv'

    def color(self, stem: str) -> Path:
        return self.root / 'vis' / f'{stem}_color.png'

    def overlay(self, stem: str) -> Path:
        return self.root / 'vis' / f'{stem}_overlay.jpg'

    def record(self, stem: str) -> Path:
        return self.root / 'records' / f'{stem}.json'

    def hierarchy(self, stem: str) -> Path:
        """The image's region hierarchy, a BSDS ucm2 (:mod:`dynaseg.hierarchy.io`)."""
        return self.root / 'hierarchies' / f'{stem}.mat'

    @property
    def claims(self) -> Path:
        """Where workers sharing the folder claim images (:mod:`~dynaseg.apis.claims`)."""
        return self.root / 'claims'

    @property
    def config(self) -> Path:
        """The model config and guidance of every label map in the folder
        (:func:`~dynaseg.apis.folder.claim_folder_config`)."""
        return self.root / 'config.json'

    @property
    def folders(self) -> list[Path]:
        """Every folder a run writes in."""
        return [self.root, self.root / 'records', self.root / 'vis', self.claims]

    def side_outputs(self, stem: str) -> list[Path]:
        """Every output of ``stem`` except its label map."""
        return [
            self.record(stem),
            self.hierarchy(stem),
            self.csv(stem),
            self.color(stem),
            self.overlay(stem),
        ]

    def create(self, visualize: bool = True) -> None:
        """Create the folders (proving each writable) before any work starts.

        ``vis/`` only when renderings will be written, so ``visualize=False`` leaves no empty
        folder behind.
        """
        folders = [self.root, self.root / 'records'] + ([self.root / 'vis'] if visualize else [])
        for folder in folders:
            ensure_writable_dir(folder)


@dataclass(frozen=True)
class DatasetLayout:
    """Where the outputs of one image id go inside a work dir."""

    root: Path

    @property
    def preds(self) -> Path:
        return self.root / 'preds'

    def pred(self, img_id: str) -> Path:
        return self.preds / f'{img_id}.png'

    def record(self, img_id: str) -> Path:
        return self.preds / 'records' / f'{img_id}.json'

    def failure(self, img_id: str) -> Path:
        return self.root / 'failed' / f'{img_id}.json'

    def picture(self, img_id: str, max_pixels: int) -> Path:
        """The copy of at most ``max_pixels`` pixels a run with ``picture_pixels`` segments
        instead of the image (one folder per size, so a run at another size never reuses it)."""
        return self.root / 'pictures' / str(max_pixels) / f'{img_id}.png'

    def create(self) -> None:
        """Create the folders (proving each writable) before any work starts."""
        for folder in (self.root, self.preds, self.preds / 'records', self.root / 'failed'):
            ensure_writable_dir(folder)


def write_side_outputs(
    layout: OutputLayout,
    stem: str,
    rgb: np.ndarray | None,
    labels: np.ndarray,
    *,
    visualize: bool,
    save_csv: bool,
) -> None:
    """The CSV label map and the two renderings, as asked (``rgb`` None: no renderings)."""
    if save_csv:
        save_label_csv(layout.csv(stem), labels)
    if visualize and rgb is not None:
        _make_vis_folder(layout.color(stem).parent)
        save_image(layout.color(stem), colorize_labels(labels))
        save_image(layout.overlay(stem), overlay(rgb, labels))


def _make_vis_folder(folder: Path) -> None:
    """Create ``vis/`` with its first rendering (so ``visualize=False`` leaves none)."""
    try:
        folder.mkdir(exist_ok=True)
    except FileExistsError as err:  # a file where the folder should be: every image would fail
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder)) from err


def write_image_outputs(
    layout: OutputLayout,
    path: str | os.PathLike[str],
    out_stem: str,
    rgb: np.ndarray,
    labels: np.ndarray,
    record: OptimizationRecord,
    seed: int,
    *,
    visualize: bool,
    save_csv: bool,
    contiguous_ids: bool = True,
    record_extra: dict | None = None,
    hierarchy: RegionHierarchy | None = None,
) -> ImageOutcome:
    """Write one segmented image's record, side outputs and label map (last), atomically.

    Args:
        contiguous_ids: store the labels as 0..n-1 in the order of their ids (the optimiser's
            ids are response channels, e.g. ``3 10 17 61``, which render nearly black in an
            image viewer); every score reads a relabelled map the same. False keeps the ids
            (scribble classes; dataset-level matching that pools ids across images).
        record_extra: extra fields for the JSON record (see :mod:`~dynaseg.apis.records`).
        hierarchy: the image's region hierarchy, saved as ``hierarchies/<stem>.mat``.

    Raises:
        OutputStorageError: a write failed in a way every later image's would (a full disk,
            a read-only output...: :func:`~dynaseg.utils.fileio.repeating_write_error`).
        OSError, ...: another write failure. Either way the image's files are removed (under
            ``overwrite`` its older label map too), so it counts as not done.
    """
    if contiguous_ids:
        labels = to_consecutive(labels)
    with all_or_nothing(layout, out_stem):
        save_json(
            layout.record(out_stem),
            image_record(path, out_stem, labels, record, seed, record_extra),
        )
        if hierarchy is not None:
            save_hierarchy(layout.hierarchy(out_stem), hierarchy)
        write_side_outputs(layout, out_stem, rgb, labels, visualize=visualize, save_csv=save_csv)
        save_label_map(layout.label_map(out_stem), labels)  # last: marks the image as done
    return ImageOutcome(
        image=str(path),
        stem=out_stem,
        status='done',
        seconds=record.seconds,
        num_labels=int(len(np.unique(labels))),
        iterations=record.iterations,
    )


@contextmanager
def all_or_nothing(layout: OutputLayout, stem: str) -> Iterator[None]:
    """A block that writes ``stem``'s outputs: if it fails or is interrupted, every output of
    ``stem`` (its label map too) is removed, so the image counts as not done.

    Raises:
        OutputStorageError: the failure would repeat for every later image
            (:func:`~dynaseg.utils.fileio.repeating_write_error`); else the failure itself.
    """
    try:
        yield
    except BaseException as err:  # a failure or an interrupt: leave nothing half-written
        discard_partial_outputs(layout, stem, label_map=True)
        stop = repeating_write_error(err)
        if stop is None:
            raise
        raise stop from err


def discard_partial_outputs(layout: OutputLayout, stem: str, *, label_map: bool) -> None:
    """Remove ``stem``'s side outputs (and its label map when ``label_map``), best effort.

    Also removes the temporary files of writers that were killed, so call it only while no
    other process writes this stem (its claim is held, or no worker shares the folder).
    Removal can fail on the very storage that failed the write; what is left is harmless to
    a rerun, which redoes any image without a label map.
    """
    for target in [*layout.side_outputs(stem), layout.label_map(stem)]:
        for leftover in leftover_temporaries(target):
            with suppress(OSError):
                leftover.unlink()
    removed = layout.side_outputs(stem) + ([layout.label_map(stem)] if label_map else [])
    for target in removed:
        with suppress(OSError):
            target.unlink(missing_ok=True)


def complete_side_outputs(
    layout: OutputLayout,
    path: Path,
    stem: str,
    *,
    visualize: bool,
    save_csv: bool,
    max_image_pixels: int,
) -> bool:
    """Rewrite side outputs missing beside an existing label map (cheap: no optimisation).

    Returns:
        Whether anything was missing (and has been written).

    Raises:
        OutputStorageError: as in :func:`write_image_outputs`.
    """
    missing_vis = visualize and not (layout.color(stem).exists() and layout.overlay(stem).exists())
    missing_csv = save_csv and not layout.csv(stem).exists()
    if not (missing_vis or missing_csv):
        return False
    labels = load_label_map(layout.label_map(stem))
    rgb = load_image(path, max_pixels=max_image_pixels) if missing_vis else None
    try:
        write_side_outputs(layout, stem, rgb, labels, visualize=missing_vis, save_csv=missing_csv)
    except OSError as err:
        stop = repeating_write_error(err)
        if stop is None:
            raise
        raise stop from err
    return True
