"""The whole BSDS500 benchmark as per-image records: score once, summarise any time.

A record holds, for one image and every threshold, the counts the MATLAB benchmark writes to
its per-image ``_ev1`` (boundaries) and ``_ev2`` / ``_ev4`` (regions) files. Records are plain
JSON, so a report regenerates from committed records without scoring again;
:func:`summarise` gives the numbers of the benchmark's ``eval_bdry.txt``, ``eval_cover.txt``
and ``eval_RI_VOI.txt`` and :func:`bsds_text_files` writes them in its format.

Inputs, as the benchmark takes them:

- a hierarchy (:func:`evaluate_ucm2`): a ``ucm2`` cut at ``n`` thresholds (99 by default);
- a segmentation set (:func:`evaluate_segmentation_set`): BSDS's ``segs``, T label maps,
  thresholds 1..T;
- one label map (:func:`evaluate_label_map`): a set of one, its boundaries the region
  boundaries;
- a soft boundary map (:func:`evaluate_boundary_map`): boundaries only, as the benchmark's
  image inputs.

Thresholds that give the same boundary map (or the same regions) are scored once and the
counts reused; as the matching is random (see :mod:`.bsds_boundary`), a fresh match would
differ only by that noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .bsds_bench import region_series, summarise_regions
from .bsds_boundary import (
    DEFAULT_MAX_DIST,
    boundary_counts,
    segmentation_boundaries,
    summarise_boundaries,
)
from .ucm import (
    DEFAULT_NUM_THRESHOLDS,
    bsds_thresholds,
    check_ucm2,
    ucm2_boundary_strength,
    ucm2_segmentation,
)

#: What a record may hold: ``boundary`` counts, ``region`` scores, or both.
PARTS = ('boundary', 'region')
#: What a folder's prediction files may be (``auto``: told by suffix and content).
INPUT_KINDS = ('auto', 'ucm2', 'segs', 'label-map', 'boundary-map')
_BOUNDARY_SERIES = ('cnt_r', 'sum_r', 'cnt_p', 'sum_p')
_REGION_KEYS = ('cnt_r', 'sum_r', 'cnt_p', 'sum_p', 'pri', 'voi', 'cnt_r_best')


def _check_parts(parts: Sequence[str]) -> tuple[str, ...]:
    parts = tuple(parts)
    if not parts or any(p not in PARTS for p in parts):
        raise ValueError(f'parts must be a non-empty subset of {PARTS}, got {parts!r}')
    return parts


def _check_ground_truth(
    gt_segs: Sequence[np.ndarray] | None,
    gt_boundaries: Sequence[np.ndarray] | None,
    parts: tuple[str, ...],
    shape: tuple[int, ...],
) -> None:
    needed = {'region': gt_segs, 'boundary': gt_boundaries}
    for part in parts:
        maps = needed[part]
        if not maps:
            kind = 'segmentations' if part == 'region' else 'boundary maps'
            raise ValueError(f"the {part} benchmark needs the annotations' {kind}")
        for gt in maps:
            if np.shape(gt) != shape:
                raise ValueError(f'annotation size {np.shape(gt)} differs from the input {shape}')


def _record(
    kind: str, thresholds: np.ndarray, settings: dict[str, Any], image: str | None
) -> dict[str, Any]:
    return {
        'image': image,
        'input': kind,
        'thresholds': [float(t) for t in thresholds],
        'settings': settings,
    }


def _boundary_part(
    bmaps: Sequence[np.ndarray],
    gt_boundaries: Sequence[np.ndarray],
    max_dist: float,
    thin: bool,
) -> dict[str, list[int]]:
    """Counts for each boundary map; a map equal to the previous one reuses its counts."""
    series: dict[str, list[int]] = {k: [] for k in _BOUNDARY_SERIES}
    previous, counts = None, (0, 0, 0, 0)
    for bmap in bmaps:
        if previous is None or not np.array_equal(bmap, previous):
            counts = boundary_counts(bmap, gt_boundaries, max_dist=max_dist, thin=thin)
            previous = bmap
        for key, value in zip(_BOUNDARY_SERIES, counts):
            series[key].append(value)
    return series


def evaluate_ucm2(
    ucm2: np.ndarray,
    gt_segs: Sequence[np.ndarray] | None,
    gt_boundaries: Sequence[np.ndarray] | None,
    thresholds: int | Sequence[float] = DEFAULT_NUM_THRESHOLDS,
    *,
    connectivity: int = 8,
    max_dist: float = DEFAULT_MAX_DIST,
    thin: bool = True,
    parts: Sequence[str] = PARTS,
    image: str | None = None,
) -> dict[str, Any]:
    """Score a hierarchy at every threshold, as the benchmark scores a ``ucm2``.

    Args:
        ucm2: (2H+1, 2W+1) map with values in [0, 1] (:mod:`.ucm`).
        gt_segs: the annotations' (H, W) segmentations (regions 1..max); needed for regions.
        gt_boundaries: the annotations' (H, W) binary boundaries; needed for boundaries.
        thresholds: how many of the benchmark's thresholds (99 by default), or the values.
        connectivity: 8 (the benchmark's ``bwlabel``) or 4, for the regions of a cut.
        max_dist: boundary matching distance, a fraction of the image diagonal.
        thin: thin each boundary map before matching (the benchmark does).
        parts: ``'boundary'``, ``'region'`` or both.
        image: the image's id, kept in the record.

    Returns:
        A JSON-ready record: ``image``, ``input`` (``'ucm2'``), ``thresholds``,
        ``settings``, and per part its per-threshold lists: ``boundary`` (``cnt_r``,
        ``sum_r``, ``cnt_p``, ``sum_p``), ``region`` (covering counts ``cnt_r``, ``sum_r``,
        ``cnt_p``, ``sum_p``, ``pri``, ``voi``, ``regions`` and the scalar ``cnt_r_best``).
    """
    parts = _check_parts(parts)
    ucm2 = check_ucm2(ucm2)
    t = (
        bsds_thresholds(thresholds)
        if isinstance(thresholds, (int, np.integer))
        else np.asarray(thresholds, np.float64)
    )
    shape = ((ucm2.shape[0] - 1) // 2, (ucm2.shape[1] - 1) // 2)
    _check_ground_truth(gt_segs, gt_boundaries, parts, shape)
    settings = {'connectivity': connectivity, 'max_dist': max_dist, 'thin': thin}
    record = _record('ucm2', t, settings, image)
    if 'boundary' in parts:
        strength = ucm2_boundary_strength(ucm2)
        record['boundary'] = _boundary_part(
            [strength >= v for v in t], gt_boundaries or [], max_dist, thin
        )
    if 'region' in parts:
        record['region'] = _nested_region_part(ucm2, t, gt_segs or [], connectivity)
    return record


def _nested_region_part(
    ucm2: np.ndarray, thresholds: np.ndarray, gt_segs: Sequence[np.ndarray], connectivity: int
) -> dict[str, Any]:
    """Region scores of every cut; the cuts are nested, so an equal region count is the same cut."""
    cuts = [ucm2_segmentation(ucm2, v, connectivity) for v in thresholds]
    sizes = [int(c.max()) for c in cuts]
    distinct = sorted(set(sizes), key=sizes.index)
    scored = region_series([cuts[sizes.index(n)] for n in distinct], gt_segs)
    at = [distinct.index(n) for n in sizes]
    part: dict[str, Any] = {k: [scored[k][i] for i in at] for k in (*_REGION_KEYS[:-1], 'regions')}
    part['cnt_r_best'] = scored['cnt_r_best']
    return part


def evaluate_segmentation_set(
    segs: Sequence[np.ndarray],
    gt_segs: Sequence[np.ndarray] | None,
    gt_boundaries: Sequence[np.ndarray] | None,
    *,
    max_dist: float = DEFAULT_MAX_DIST,
    thin: bool = True,
    parts: Sequence[str] = PARTS,
    image: str | None = None,
    kind: str = 'segs',
) -> dict[str, Any]:
    """Score T segmentations of one image, as the benchmark scores ``segs`` (thresholds 1..T).

    Args:
        segs: T (H, W) label maps, regions 1..max (0 is unlabelled, as in the benchmark).
        gt_segs: the annotations' (H, W) segmentations; needed for regions.
        gt_boundaries: the annotations' (H, W) binary boundaries; needed for boundaries.
        max_dist: boundary matching distance, a fraction of the image diagonal.
        thin: thin each boundary map before matching (the benchmark does).
        parts: ``'boundary'``, ``'region'`` or both.
        image: the image's id, kept in the record.
        kind: the record's ``input`` name.

    Returns:
        A record as :func:`evaluate_ucm2` returns it, ``thresholds`` 1..T.
    """
    parts = _check_parts(parts)
    segs = [np.asarray(s) for s in segs]
    if not segs or any(s.ndim != 2 or s.shape != segs[0].shape for s in segs):
        raise ValueError('a segmentation set needs one or more 2-D label maps of one size')
    if any(s.size and s.min() < 0 for s in segs):
        raise ValueError('segment labels must be >= 0 (0 is unlabelled)')
    _check_ground_truth(gt_segs, gt_boundaries, parts, segs[0].shape)
    settings: dict[str, Any] = {'max_dist': max_dist, 'thin': thin}
    record = _record(kind, np.arange(1, len(segs) + 1), settings, image)
    if 'boundary' in parts:
        record['boundary'] = _boundary_part(
            [segmentation_boundaries(s) for s in segs], gt_boundaries or [], max_dist, thin
        )
    if 'region' in parts:
        record['region'] = region_series(segs, gt_segs or [])
    return record


def evaluate_label_map(
    seg: np.ndarray,
    gt_segs: Sequence[np.ndarray] | None,
    gt_boundaries: Sequence[np.ndarray] | None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Score one segmentation (one threshold): :func:`evaluate_segmentation_set` of ``[seg]``.

    ``seg`` is taken as the benchmark takes it: regions are labels 1..max and 0 is
    unlabelled. A label map whose every value is a region (the project's 0-based maps) is
    shifted first, e.g. ``seg - seg.min() + 1``; disconnected parts of a label stay one region
    unless split first (:func:`dynaseg.utils.labels.relabel_connected_components`).
    """
    return evaluate_segmentation_set([seg], gt_segs, gt_boundaries, kind='label_map', **kwargs)


def evaluate_boundary_map(
    strength: np.ndarray,
    gt_boundaries: Sequence[np.ndarray],
    thresholds: int | Sequence[float] = DEFAULT_NUM_THRESHOLDS,
    *,
    max_dist: float = DEFAULT_MAX_DIST,
    thin: bool = True,
    image: str | None = None,
) -> dict[str, Any]:
    """Score a soft boundary map in [0, 1] (the benchmark's image input) at every threshold.

    Args:
        strength: (H, W) boundary strength; an 8-bit PNG is read as ``value / 255``.
        gt_boundaries: the annotations' (H, W) binary boundaries.
        thresholds: how many of the benchmark's thresholds (99 by default), or the values.
        max_dist: boundary matching distance, a fraction of the image diagonal.
        thin: thin each thresholded map before matching (the benchmark does).
        image: the image's id, kept in the record.

    Returns:
        A record with the ``boundary`` part only.
    """
    strength = np.asarray(strength, np.float64)
    if strength.ndim != 2:
        raise ValueError(f'a boundary map must be 2-D, got shape {strength.shape}')
    t = (
        bsds_thresholds(thresholds)
        if isinstance(thresholds, (int, np.integer))
        else np.asarray(thresholds, np.float64)
    )
    _check_ground_truth(None, gt_boundaries, ('boundary',), strength.shape)
    record = _record('boundary_map', t, {'max_dist': max_dist, 'thin': thin}, image)
    record['boundary'] = _boundary_part([strength >= v for v in t], gt_boundaries, max_dist, thin)
    return record


def _printed(values: Any) -> np.ndarray:
    """``values`` as the benchmark reads them back from its ``%10g`` files: 6 significant digits."""
    return np.vectorize(lambda v: float(f'{v:g}'), otypes=[np.float64])(values)


def summarise(
    records: Sequence[dict[str, Any]], *, matlab_rounding: bool = False
) -> dict[str, Any]:
    """ODS / OIS / AP of every metric over a set of per-image records, as the benchmark.

    Args:
        records: from the ``evaluate_*`` functions (or their JSON), in the order the
            per-image tables should list them (the benchmark lists image files by name).
        matlab_rounding: round every per-image number to 6 significant digits first, as
            the benchmark does by writing its per-image files with ``%10g`` and reading them
            back; this reproduces its printed outputs digit for digit, and moves a score by
            at most a few units in the 6th digit.

    Returns:
        ``num_images``, ``num_thresholds``, ``thresholds``, ``input``, ``settings`` and
        ``images``; ``boundary`` (:func:`.bsds_boundary.summarise_boundaries`) when every
        record has boundary counts; ``covering``, ``pri`` and ``voi``
        (:func:`.bsds_bench.summarise_regions`) when every record has region scores.

    Raises:
        ValueError: no records, or records made with different thresholds, inputs or settings.
    """
    if not records:
        raise ValueError('no records to summarise')
    first = records[0]
    for key in ('thresholds', 'input', 'settings'):
        for record in records[1:]:
            if record[key] != first[key]:
                raise ValueError(
                    f'records differ in {key}: image {record.get("image")!r} has '
                    f'{record[key]!r}, image {first.get("image")!r} {first[key]!r}'
                )
    as_read = _printed if matlab_rounding else (lambda values: np.asarray(values, np.float64))
    t = as_read(first['thresholds'])
    summary: dict[str, Any] = {
        'num_images': len(records),
        'num_thresholds': int(t.size),
        'thresholds': t.tolist(),
        'input': first['input'],
        'settings': first['settings'],
        'images': [r.get('image') for r in records],
    }
    if all('boundary' in r for r in records):
        summary['boundary'] = summarise_boundaries(
            t, *(as_read([r['boundary'][k] for r in records]) for k in _BOUNDARY_SERIES)
        )
    if all('region' in r for r in records):
        counts = {k: as_read([r['region'][k] for r in records]) for k in _REGION_KEYS}
        summary.update(summarise_regions(t, counts))
    return summary


def _rows(fmt: str, rows: Sequence[Sequence[float]]) -> str:
    return ''.join(fmt % tuple(row) + '\n' for row in rows)


def bsds_text_files(summary: dict[str, Any]) -> dict[str, str]:
    """The benchmark's summary files, in its own ``%10g`` format, from :func:`summarise`.

    Returns:
        {file name: text} for ``eval_bdry.txt``, ``eval_bdry_thr.txt``, ``eval_bdry_img.txt``
        (when the summary has boundaries) and ``eval_cover.txt``, ``eval_cover_th.txt``,
        ``eval_cover_img.txt``, ``eval_RI_VOI.txt``, ``eval_RI_VOI_thr.txt`` (regions).
    """
    files: dict[str, str] = {}
    bdry = summary.get('boundary')
    if bdry is not None:
        ods, ois = bdry['ods'], bdry['ois']
        files['eval_bdry.txt'] = _rows(
            ' '.join(['%10g'] * 8),
            [[*ods.values(), ois['recall'], ois['precision'], ois['f'], bdry['ap']]],
        )
        files['eval_bdry_thr.txt'] = _rows('%10g %10g %10g %10g', bdry['per_threshold'])
        files['eval_bdry_img.txt'] = _rows(
            '%10d %10g %10g %10g %10g', [[i + 1, *r] for i, r in enumerate(bdry['per_image'])]
        )
    if 'covering' in summary:
        cover, pri, voi = summary['covering'], summary['pri'], summary['voi']
        files['eval_cover.txt'] = _rows(
            '%10g %10g %10g %10g',
            [[cover['ods']['threshold'], cover['ods']['value'], cover['ois'], cover['best']]],
        )
        files['eval_cover_th.txt'] = _rows('%10g %10g', cover['per_threshold'])
        files['eval_cover_img.txt'] = _rows(
            '%10d %10g %10g %10g', [[i + 1, *r] for i, r in enumerate(cover['per_image'])]
        )
        files['eval_RI_VOI.txt'] = _rows(
            ' '.join(['%10g'] * 6),
            [[*pri['ods'].values(), pri['ois'], *voi['ods'].values(), voi['ois']]],
        )
        files['eval_RI_VOI_thr.txt'] = _rows(
            '%10g %10g %10g',
            [[t, p, v] for (t, p), (_, v) in zip(pri['per_threshold'], voi['per_threshold'])],
        )
    return files
