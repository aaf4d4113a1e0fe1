"""The JSON record written beside every label map, and reading records back (old ones included).

A record is ``<out>/records/<stem>.json`` (folder runs) or ``preds/records/<img_id>.json``
(dataset runs). Its fields, documented for users in ``docs/records.md``:

- ``image``, ``stem``: the input file and the name of its outputs;
- ``input``: the input file's ``bytes``, ``mtime_ns`` and ``sha256``, taken before it was read
  (a folder run counts the image as done only while the file still matches);
- ``height``, ``width``: the label map's size (the input's);
- ``num_labels``: the distinct labels of the written label map;
- ``seed``: the initialisation seed;
- every field of :class:`~dynaseg.engine.OptimizationRecord`, under the same name:
  ``iterations``, ``label_counts`` and ``losses`` (one entry per iteration), ``stage_sizes``,
  ``stage_iterations``, ``silhouette_k``, ``stop_reason``, ``seconds``, ``num_segments``,
  ``warnings``, ``seed_runs`` (serialised generically: a field the engine adds appears
  without an edit here);
- ``host``, ``pid``, ``peak_rss_mb``: the process that wrote it and its peak resident memory
  so far (MiB), so a long run's memory can be followed image by image;
- whatever the runner adds: ``config``, ``device``, ``model_config``, ``rank`` (both runners),
  ``img_id`` (dataset runs), ``scribble``, ``scribble_classes`` and ``scribble_input`` (the
  mask's fingerprint, as ``input``) with scribble guidance,
  ``batch_size`` and ``batch_seconds`` (images optimised together).

Records written before the per-iteration series took the engine's names hold them as
``history: {n_labels, loss}``; :func:`load_record` reads both.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from dynaseg.engine import OptimizationRecord

__all__ = ['image_record', 'load_record', 'peak_rss_mb', 'plain_json']


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return round(peak / (2**20 if sys.platform == 'darwin' else 2**10), 1)


def image_record(
    path: str | os.PathLike[str],
    stem: str,
    labels: np.ndarray,
    record: OptimizationRecord,
    seed: int,
    extra: dict | None = None,
) -> dict[str, Any]:
    """The JSON record of one segmented image (see the module docstring for the fields)."""
    import numpy as np

    return {
        'image': str(path),
        'stem': stem,
        'height': int(labels.shape[0]),
        'width': int(labels.shape[1]),
        'num_labels': int(len(np.unique(labels))),
        'seed': seed,
        **dataclasses.asdict(record),
        'host': socket.gethostname(),
        'pid': os.getpid(),
        'peak_rss_mb': peak_rss_mb(),
        **(extra or {}),
    }


def load_record(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a record, old or new, with the per-iteration series under the engine's names.

    Raises:
        FileNotFoundError: no such file.
        json.JSONDecodeError: not JSON.
    """
    from dynaseg.engine.record import renamed_series

    record = json.loads(Path(path).read_text(encoding='utf-8'))
    for name, series in renamed_series(record.pop('history', None) or {}).items():
        record.setdefault(name, series)
    return record


def plain_json(obj: Any) -> Any:
    """``obj`` as a record holds it (a JSON round trip, keys sorted), so a config compares
    equal to its copy read back from a record."""
    return json.loads(json.dumps(obj, sort_keys=True, default=str))
