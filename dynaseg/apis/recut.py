"""Re-cutting a finished folder: another granularity from the saved hierarchies, no optimisation.

An image whose outputs are done (:func:`~.resume.why_not_done`) and whose record says its label
map is another cut than the one asked for (``--regions K``, ``--level t`` or the finest level)
gets its label map, renderings and record rewritten from ``hierarchies/<stem>.mat``: one
threshold of the saved ucm2 (:meth:`~dynaseg.hierarchy.Cut.of_ucm2`), no tree rebuilt. Before
any work, the whole folder is checked: an image without a saved hierarchy, or with fewer
regions at its finest level than asked, is refused in one line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dynaseg.hierarchy import Cut, load_ucm2
from dynaseg.utils.fileio import save_json, save_label_map

from .layout import OutputLayout, all_or_nothing, write_side_outputs
from .resume import RecordCache, read_record
from .summary import ImageOutcome

__all__ = ['recut_image', 'stems_to_recut']


def _recorded(layout: OutputLayout, stem: str, cache: RecordCache | None) -> dict | None:
    """The ``hierarchy`` field of ``stem``'s record (None: no hierarchy was saved)."""
    record = read_record(layout, stem, cache) or {}
    saved = record.get('hierarchy')
    if not isinstance(saved, dict) or not layout.hierarchy(stem).is_file():
        return None
    return saved


def stems_to_recut(
    layout: OutputLayout, stems: list[str], cut: Cut, cache: RecordCache | None = None
) -> list[str]:
    """The finished ``stems`` whose label map is another cut than ``cut``.

    Raises:
        ValueError: a cut other than the finest level is asked for, and one of ``stems`` has no
            saved hierarchy or too few regions (one line naming it and the way out).
    """
    wanted = cut.to_json()
    todo = []
    for stem in stems:
        saved = _recorded(layout, stem, cache)
        if saved is None:
            if cut.finest:
                continue  # a folder made without hierarchies holds finest-level maps already
            raise ValueError(
                f'{stem} has no saved hierarchy ({layout.hierarchy(stem)}): cutting needs '
                'outputs made with a config that builds one (rerun with --overwrite)'
            )
        if cut.regions is not None and cut.regions > int(saved.get('leaves', 0)):
            raise ValueError(
                f'--regions {cut.regions} is more than the {saved.get("leaves")} regions of '
                f"{stem}'s finest level"
            )
        if saved.get('cut', {}) != wanted:
            todo.append(stem)
    return todo


def recut_image(
    layout: OutputLayout,
    path: Path,
    stem: str,
    cut: Cut,
    *,
    visualize: bool,
    save_csv: bool,
    rgb: np.ndarray | None,
) -> ImageOutcome:
    """Rewrite ``stem``'s label map as ``cut`` of its saved hierarchy (record first, label map
    last, each atomic); ``rgb``: the image, needed only for the renderings.

    Raises:
        OutputStorageError: a write failed in a way every later image's would.
    """
    labels = cut.of_ucm2(load_ucm2(layout.hierarchy(stem)))  # no tree: one threshold
    record = read_record(layout, stem) or {}
    record['hierarchy'] = dict(record.get('hierarchy', {}), cut=cut.to_json())
    record['num_labels'] = int(len(np.unique(labels)))
    with all_or_nothing(layout, stem):
        save_json(layout.record(stem), record)
        write_side_outputs(
            layout, stem, rgb, labels, visualize=visualize and rgb is not None, save_csv=save_csv
        )
        save_label_map(layout.label_map(stem), labels)
    return ImageOutcome(
        image=str(path),
        stem=stem,
        status='recut',
        num_labels=record['num_labels'],
        reason=f'cut to {_describe(cut)}',
    )


def _describe(cut: Cut) -> str:
    if cut.regions is not None:
        return f'{cut.regions} regions'
    return 'the finest level' if cut.level is None else f'level {cut.level:g}'
