"""Refine a finished dataset run's predictions instead of optimising every image again.

A config whose only difference from another is ``model.refine`` (``dynaseg/models/refiners.py``)
labels every image exactly as that other config does, then passes the labels through the
refiners. So its run can be made from the other's finished run: each label map is read, refined
with the image, and written with its record into a new work dir, which is then scored like any
run of ``tools/evaluate_config.py``. A few seconds per image instead of the optimisation.

Every source prediction is checked first: its record must name the refined config's model
without ``refine``; anything else is refused in one line, so a run can never be refined from a
different model's predictions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from mmengine.config import Config

from dynaseg.evaluation.functional import read_label_map
from dynaseg.models.refiners import apply_refiners, build_refiners
from dynaseg.utils.fileio import save_json, save_label_map
from dynaseg.utils.image_io import DEFAULT_MAX_PIXELS, load_image
from dynaseg.utils.labels import relabel_connected_components

from .dataset_runner import apply_data_root, build_dataset, run_dataset
from .inference import config_name
from .layout import DatasetLayout
from .records import load_record

__all__ = ['refine_run']


def _normalised(obj: Any) -> Any:
    """A JSON round trip, so a config compares equal to its copy read back from a record."""
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


def unrefined_model(cfg: Config) -> dict[str, Any]:
    """The model config of ``cfg`` without its refiners: what the source run must have used."""
    model = cfg.model.to_dict()
    if not model.pop('refine', None):
        raise ValueError(f'{config_name(cfg)} has no model.refine: there is nothing to refine')
    return _normalised(model)


def refine_run(
    cfg: Config,
    source: str | Path,
    work_dir: str | Path,
    *,
    data_root: str | Path | None = None,
    overwrite: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Refine every prediction of the run in ``source`` into ``work_dir``, then score them.

    Args:
        cfg: the refined config (it has ``model.refine``).
        source: work dir of a finished or partial run of the same model without ``refine``.
        work_dir: the refined run's work dir (same layout; resumable: images already refined
            are kept unless ``overwrite``).
        data_root: as ``--data-root`` of the other tools.

    Returns:
        What ``eval_results.json`` holds (:func:`~dynaseg.apis.dataset_runner.run_dataset`).

    Raises:
        ValueError: ``cfg`` has no refiners, or a source prediction was made by another model.
    """
    log = log or (lambda message: print(message, flush=True))
    apply_data_root(cfg, data_root)
    expected = unrefined_model(cfg)
    refiners = build_refiners(cfg.model.refine)
    relabel = bool(cfg.model.get('relabel', False))
    src, dst = DatasetLayout(Path(source)), DatasetLayout(Path(work_dir))
    dataset = build_dataset(cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    present = [info for info in infos if src.pred(info['img_id']).is_file()]
    for info in present:
        saved = load_record(src.record(info['img_id'])).get('model_config')
        if _normalised(saved) != expected:
            raise ValueError(
                f'{src.pred(info["img_id"])} was made by another model than '
                f'{config_name(cfg)} without model.refine: refine only a run of that model'
            )
    dst.create()
    done = 0
    for info in present:
        img_id = info['img_id']
        if dst.pred(img_id).is_file() and not overwrite:
            continue
        start = time.perf_counter()
        rgb = load_image(info['img_path'], max_pixels=DEFAULT_MAX_PIXELS)
        labels = apply_refiners(refiners, read_label_map(src.pred(img_id)), rgb)
        if relabel:
            labels = relabel_connected_components(labels)
        record = load_record(src.record(img_id))
        record.update(
            model_config=cfg.model.to_dict(),
            config=config_name(cfg),
            num_labels=len(np.unique(labels)),
            seconds=float(record.get('seconds', 0.0)) + time.perf_counter() - start,
            refined_from=str(src.pred(img_id)),
        )
        save_json(dst.record(img_id), record)
        save_label_map(dst.pred(img_id), labels)  # last: marks the image as done
        done += 1
    log(
        f'{config_name(cfg)}: {done} prediction(s) refined from {src.root}, '
        f'{len(present) - done} already there; {len(infos) - len(present)} image(s) of the '
        'dataset have no source prediction'
    )
    return run_dataset(cfg, work_dir, limit=0, log=log)
