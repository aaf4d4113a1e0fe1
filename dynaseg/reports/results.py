"""A run's results as a report reads them: from its work dir, or from the file a report saved.

A work dir holds what ``tools/evaluate_config.py`` wrote: ``eval_results.json`` (the scores the
evaluator aggregated), ``eval_results.pkl`` (one row of scores per image) and one record per
image (iterations, label count, seconds). :class:`RunResult` gathers the three; a report saves it
beside itself (:func:`saved_path`: the aggregate scores and one line per image, no absolute
path), so the report can be computed again, and its intervals checked, once the work dir is gone.
A saved result is used only for the same model config on the same subset.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dynaseg.apis.dataset_runner import RESULTS_JSON, RESULTS_PKL
from dynaseg.apis.layout import DatasetLayout
from dynaseg.apis.records import load_record

#: What a row of the per-image table takes from each image's record.
RECORD_KEYS = ('iterations', 'num_labels', 'seconds')


def _plain(value: Any) -> Any:
    """``value`` as JSON reads it back (tuples as lists, keys as strings)."""
    return json.loads(json.dumps(value, default=str))


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class RunResult:
    """One run's scores, per-image rows and counts; ``metrics`` is None before it is scored."""

    metrics: dict[str, Any] | None
    scored: int = 0
    segmented: int = 0  # label maps written (a run under way has some before it is scored)
    images: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)  # images that raised
    saved: str = ''  # the committed file it was read from ('' : its work dir)
    machine: str = ''  # where a committed result was computed

    def mean(self, key: str) -> float | None:
        """Mean over the scored images of a record value (``iterations``, ``num_labels``,
        ``seconds``)."""
        return _mean([row[key] for row in self.images if row.get(key) is not None])

    def scored_rows(self, key: str = 'all/mIoU') -> list[dict[str, Any]]:
        """The per-image rows that carry ``key`` ([] for a run scored before per-image scores
        were kept: its rows hold only ``img_id``)."""
        return [row for row in self.images if key in row]


def read_work_dir(work_dir: str | Path) -> RunResult:
    """The results in ``work_dir`` (an empty :class:`RunResult` where nothing was scored)."""
    layout = DatasetLayout(Path(work_dir))
    segmented = len(list(layout.preds.glob('*.png'))) if layout.preds.is_dir() else 0
    path = layout.root / RESULTS_JSON
    if not path.is_file():
        return RunResult(None, segmented=segmented)
    results = json.loads(path.read_text(encoding='utf-8'))
    with open(layout.root / RESULTS_PKL, 'rb') as handle:
        rows = pickle.load(handle)
    images = []
    for row in rows:
        image = {k: v for k, v in row.items() if k != 'img_path'}  # an absolute path
        record = layout.record(row['img_id'])
        if record.is_file():
            facts = load_record(record)
            image.update({k: facts[k] for k in RECORD_KEYS if k in facts})
        images.append(image)
    scored = results.get('counts', {}).get('scored', len(images))
    failed = results.get('failed', [])
    return RunResult(results.get('metrics', {}), scored, segmented, images, failed)


def saved_path(output: str | Path, report: str, run_name: str) -> Path:
    """Where report ``report``, written to ``output``, keeps a run's result: in a folder named
    after the report beside it (``docs/results/baselines/<run>.json`` for
    ``docs/results/baselines.md``), shared by every output of that report."""
    return Path(output).parent / report / f'{run_name}.json'


def save_result(
    path: str | Path, result: RunResult, identity: dict[str, Any], machine: str
) -> None:
    """Write ``result`` with what it must match to be used again (``identity``: model config,
    subset) and the machine it was computed on."""
    from dynaseg.utils.fileio import save_text

    fields = {k: v for k, v in asdict(result).items() if k not in ('saved', 'machine')}
    payload = {**_plain(identity), 'machine': machine, **fields}
    images = payload.pop('images')
    # One line per image keeps a 200-image file small and its diffs readable.
    head = json.dumps(payload, indent=1, ensure_ascii=False)[:-2]
    rows = ',\n'.join(f'  {json.dumps(row, ensure_ascii=False)}' for row in images)
    save_text(path, f'{head},\n "images": [\n{rows}\n ]\n}}\n')


def load_result(path: str | Path, identity: dict[str, Any]) -> RunResult | None:
    """The result saved in ``path`` if it was saved for ``identity``, else None."""
    path = Path(path)
    if not path.is_file():
        return None
    payload = json.loads(path.read_text(encoding='utf-8'))
    if any(payload.get(key) != value for key, value in _plain(identity).items()):
        return None
    return RunResult(
        payload['metrics'],
        payload['scored'],
        payload['segmented'],
        payload['images'],
        payload.get('failed', []),
        saved=str(path),
        machine=payload.get('machine', ''),
    )
