"""Where a run's outputs go: one folder layout for folder runs, one for dataset runs.

Both runners write through :func:`~dynaseg.apis.folder.segment_file`, whose label map is written
last: a file's existence marks its image as done, so a rerun resumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dynaseg.utils.fileio import ensure_writable_dir

__all__ = ['DatasetLayout', 'OutputLayout']


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

    def create(self) -> None:
        """Create the folders (proving each writable) before any work starts."""
        for folder in (self.root, self.root / 'vis', self.root / 'records'):
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

    def create(self) -> None:
        """Create the folders (proving each writable) before any work starts."""
        for folder in (self.root, self.preds, self.preds / 'records', self.root / 'failed'):
            ensure_writable_dir(folder)
