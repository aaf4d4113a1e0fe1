"""Choose a hierarchy's merge criterion on val without optimising once per candidate
(``tools/hierarchy_probe.py``, :mod:`dynaseg.cli.hierarchy_probe`).

:func:`capture` runs the default on BSDS500 images, keeping each image's finished labels and
its final response (``<out>/<id>.npz``, float16; about 30 MB per photo); :func:`score_setting`
builds a :class:`~dynaseg.hierarchy.MergeHierarchy` with one setting on the captures and returns
the region benchmark (covering, PRI, VOI at ODS / OIS over 20 levels).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dynaseg.evaluation.functional.bsds_bench import region_benchmark
from dynaseg.evaluation.functional.io import load_bsds_ground_truth
from dynaseg.utils.fileio import atomic_write
from dynaseg.utils.image_io import load_image

from .criteria import MergeHierarchy

#: The 20 inner levels every setting is cut at (0 and 1 left out: one region, the leaves).
LEVELS = np.linspace(0.0, 1.0, 22)[1:-1]


def capture(images: Sequence[Path], out: Path) -> Iterator[str]:
    """Segment each image with the default config and save its labels and final response;
    yields each id done. Resumable: an image whose ``.npz`` exists is skipped."""
    from dynaseg.apis.inference import build_segmentor, image_to_tensor, load_config

    out.mkdir(parents=True, exist_ok=True)
    model = build_segmentor(load_config())
    for path in images:
        target = out / f'{path.stem}.npz'
        if target.exists():
            continue
        image = image_to_tensor(load_image(path), model)
        labels, _, response_tensor = model.segment_keeping_response(image, None)
        response = response_tensor[0].permute(1, 2, 0).numpy().astype(np.float16)
        with atomic_write(target, 'wb') as handle:
            np.savez(handle, labels=labels.astype(np.int32), response=response)
        yield path.stem


def parse_setting(text: str) -> dict[str, Any]:
    """``"tree='volume', unit_response=False"`` -> keyword arguments, literals only."""
    call = ast.parse(f'f({text})', mode='eval').body
    if not isinstance(call, ast.Call):
        raise ValueError(f'not a list of keyword arguments: {text!r}')
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}


def score_setting(
    setting: dict[str, Any], captures: Sequence[Path], image_root: Path, gt_root: Path
) -> dict[str, float]:
    """The region benchmark of ``MergeHierarchy(**setting)`` over the captured images."""
    builder = MergeHierarchy(**setting)
    segs, gts = [], []
    for capture_file in captures:
        data = np.load(capture_file)
        response = data['response'].astype(np.float32)
        if response.shape[:2] != data['labels'].shape:  # (C, H, W) captures
            response = response.transpose(1, 2, 0)
        rgb = load_image(image_root / f'{capture_file.stem}.jpg')
        tree = builder(data['labels'], rgb, response)
        segs.append([tree.cut_level(float(t)) + 1 for t in LEVELS])
        gts.append(load_bsds_ground_truth(gt_root / f'{capture_file.stem}.mat'))
    return region_benchmark(segs, gts)
