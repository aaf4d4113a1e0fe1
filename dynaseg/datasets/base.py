"""A dataset of listed images with optional ground truth: the shared part of the evaluation sets.

Each ``data_list`` entry is a dict with at least ``img_path``, ``img_id`` and ``gt_path``
(None when the image has no ground truth). ``seg_map_path`` repeats ``gt_path`` so that
mmseg's default ``PackSegInputs`` meta keys carry it to the metrics. Listing is cheap:
no image or annotation is read until the pipeline or :meth:`load_ground_truth` asks.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmengine.dataset import BaseDataset

ON_MISSING = ('error', 'skip')


@dataclass(frozen=True)
class ReportSubset:
    """The images a report runs a config on: a work-dir name, descriptions, config overrides."""

    tag: str
    description: str  # the report section's heading
    summary: str  # the short form, in the paragraph on differences
    options: dict[str, str]  # --cfg-options of the run
    size: int | None  # the images the subset should have (None: whatever is present)


@dataclass(frozen=True)
class ScoreCell:
    """One score cell of a report table: metric values printed with ``digits`` decimals after
    scaling by ``scale``, joined by `` / `` (None: not computed)."""

    values: tuple[float | None, ...]
    digits: int = 4
    scale: float = 1.0


Metrics = Mapping[str, Mapping[str, Any]]


def metric(metrics: Metrics, prefix: str, key: str) -> Any:
    """``metrics[prefix][key]`` of an ``eval_results.json``, None where absent."""
    return (metrics.get(prefix) or {}).get(key)


class ListedImageDataset(BaseDataset):
    """Base class: subclasses list ``(img_id, img_path, gt_path)`` and load their ground truth.

    Args:
        data_root: the dataset folder.
        on_missing: what to do with listed images whose file does not exist: ``'error'``
            raises :class:`FileNotFoundError` naming them, ``'skip'`` leaves them out with a
            warning. Either way they are kept in :attr:`missing_ids`.
        pipeline: mmengine transforms applied by ``__getitem__``.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset` (``lazy_init``,
            ``indices``, ``serialize_data``, ``test_mode``, ``metainfo``, ...).
    """

    def __init__(
        self,
        data_root: str = '',
        on_missing: str = 'error',
        pipeline: Sequence[dict | Any] = (),
        **kwargs: Any,
    ) -> None:
        if on_missing not in ON_MISSING:
            raise ValueError(f'on_missing must be one of {ON_MISSING}, got {on_missing!r}')
        self.on_missing = on_missing
        self.listed_ids: list[str] = []
        self.missing_ids: list[str] = []
        kwargs.setdefault('data_prefix', {'img_path': ''})
        super().__init__(data_root=data_root, pipeline=list(pipeline), **kwargs)

    @property
    def root(self) -> Path:
        return Path(self.data_root)

    def list_samples(self) -> list[dict[str, Any]]:
        """Every listed sample, present or not: dicts with ``img_id``, ``img_path``, ``gt_path``."""
        raise NotImplementedError

    def load_ground_truth(self, info: dict[str, Any]) -> Any:
        """The ground truth of one ``data_list`` entry, in the form the metric needs."""
        raise NotImplementedError

    def report_subset(
        self, images: int, ids: Sequence[str] | None, work_dir: Path, write: bool
    ) -> ReportSubset:
        """The fixed subset a reproduction report runs on this dataset (it depends on the
        dataset alone, never on results): ``images`` / ``ids`` are the report's choice where the
        dataset offers one; ``work_dir`` is where a generated list goes, written if ``write``."""
        raise NotImplementedError(f'{type(self).__name__} has no report subset')

    @classmethod
    def report_scores(cls, metrics: Metrics) -> list[ScoreCell]:
        """The score cells of one row of this dataset's report table, from the metrics of an
        ``eval_results.json`` (the columns the report template gives this dataset)."""
        raise NotImplementedError(f'{cls.__name__} has no report table')

    def load_data_list(self) -> list[dict[str, Any]]:
        samples = self.list_samples()
        self.listed_ids = [s['img_id'] for s in samples]
        present = [s for s in samples if Path(s['img_path']).is_file()]
        self.missing_ids = [s['img_id'] for s in samples if not Path(s['img_path']).is_file()]
        if self.missing_ids:
            shown = ', '.join(self.missing_ids[:10])
            more = (
                f' ... and {len(self.missing_ids) - 10} more' if len(self.missing_ids) > 10 else ''
            )
            message = (
                f'{type(self).__name__}: {len(self.missing_ids)} of {len(samples)} listed images '
                f'are missing under {self.root}: {shown}{more}'
            )
            if self.on_missing == 'error':
                raise FileNotFoundError(
                    f"{message} (pass on_missing='skip' to use the {len(present)} present images)"
                )
            warnings.warn(message + f'; using the {len(present)} present images', stacklevel=2)
        for sample in present:
            sample['seg_map_path'] = (
                sample['gt_path'] if isinstance(sample['gt_path'], str) else None
            )
        return present

    def _require_gt(self, info: dict[str, Any]) -> Any:
        if info.get('gt_path') is None:
            raise FileNotFoundError(
                f'{type(self).__name__}: image {info.get("img_id")!r} has no ground truth'
            )
        return info['gt_path']


def read_id_list(path: Path) -> list[str]:
    """Image ids of a split list: one per line, the first whitespace-separated field."""
    if not path.is_file():
        raise FileNotFoundError(f'split list {path} does not exist')
    lines = path.read_text(encoding='utf-8').splitlines()
    return [line.split()[0] for line in lines if line.strip()]
