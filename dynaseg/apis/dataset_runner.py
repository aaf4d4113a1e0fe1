"""Segment every image of a config's dataset, then score the predictions with its evaluators.

This is the config-driven counterpart of :func:`~dynaseg.apis.folder.segment_folder`: the images
come from ``cfg.dataset`` (BSDS500, VOC2012, COCO-Stuff-27, ...) and the scores from
``cfg.evaluator``. Outputs under ``work_dir``::

    preds/<img_id>.png            single-channel label map (written last: the "done" marker)
    pictures/<N>/<img_id>.png     with ``picture_pixels=N``: the downscaled copy segmented
    preds/records/<img_id>.json   the optimisation record (iterations, labels, seconds, config)
    failed/<img_id>.json          why the image failed (removed once it succeeds)
    eval_results.json             all metrics, the protocol of each (metric and arguments),
                                  counts, the scored ids, failures, NaN images, the images on
                                  disk the dataset's list leaves out, config, seed, split
    eval_results.pkl              one dict of per-image scores per scored image

Progress streams as in the folder tool (:class:`~.runtime.Progress`): a bar on a terminal, one
line per segmented image otherwise.

The records sit under ``preds/`` because :func:`~dynaseg.apis.folder.segment_file` (reused here
so both runners write the same files) puts them in ``records/`` beside its label maps.

Unlike the authors' COCO evaluation, nothing is chosen with the ground truth: every image has
exactly one final prediction; an image that fails (to segment or to score) is listed with its
reason and turns the exit code non-zero, and an image whose per-image score is NaN is reported
by id and count rather than dropped silently.
"""

from __future__ import annotations

import itertools
import pickle
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmengine.config import Config

from dynaseg.datasets import ListedImageDataset
from dynaseg.utils import register_all_modules
from dynaseg.utils.dist import init_distributed, shard
from dynaseg.utils.fileio import atomic_write, save_json
from dynaseg.utils.image_io import IMAGE_EXTENSIONS, save_downscaled

from .batching import ImageJob, segment_jobs
from .inference import build_segmentor, config_name
from .layout import DatasetLayout
from .runtime import Progress, gather, one_line
from .scoring import evaluate_predictions, format_results
from .summary import ImageOutcome

if TYPE_CHECKING:
    from dynaseg.models.segmentors import DynaSegBase

__all__ = [
    'DatasetNotFoundError',
    'apply_data_root',
    'apply_split',
    'build_dataset',
    'dataset_folder',
    'run_dataset',
]

RESULTS_JSON = 'eval_results.json'
RESULTS_PKL = 'eval_results.pkl'


#: The data root the configs assume: their ``data_root`` is ``data/<dataset folder>``.
DEFAULT_DATA_ROOT = 'data'
#: The environment variable that replaces :data:`DEFAULT_DATA_ROOT` in the tools.
DATA_ROOT_ENV = 'DYNASEG_DATA_ROOT'


def dataset_folder(data_root: str | Path, name: str) -> Path:
    """The folder of dataset ``name`` (``bsds500``, ``voc2012``, ``cocostuff``) under the data
    root ``data_root``, the folder that holds them all (``data/`` by default).

    A ``data_root`` that already is that dataset's folder (named ``name``, with no ``name``
    folder inside) is taken as it is, so ``--data-root data/bsds500`` keeps working.
    """
    root = Path(data_root)
    if root.name == name and not (root / name).is_dir():
        return root
    return root / name


def apply_data_root(cfg: Config, data_root: str | Path | None) -> Config:
    """Point the config's dataset at its folder under the data root ``data_root`` (None: no
    change): ``cfg.data_root`` and ``cfg.dataset.data_root`` become
    :func:`dataset_folder` of the config's own dataset folder name (``data/cocostuff`` ->
    ``<data_root>/cocostuff``).

    The dataset configs copy ``data_root`` into ``dataset`` when the file is parsed, so setting
    the top-level key alone would not move the dataset.
    """
    if data_root is not None:
        folder = str(dataset_folder(data_root, Path(cfg.dataset.data_root).name))
        cfg.merge_from_dict({'data_root': folder, 'dataset.data_root': folder})
    return cfg


def apply_split(cfg: Config, split: str | None) -> Config:
    """Point the config's dataset at split ``split`` (``--split``; None: no change). The dataset
    configs copy the top-level ``split`` into ``dataset`` when the file is parsed, so both are
    set, as :func:`apply_data_root` does for the data root."""
    if split is not None:
        cfg.merge_from_dict({'split': split, 'dataset.split': split})
    return cfg


class DatasetNotFoundError(FileNotFoundError):
    """A file the dataset needs is missing; the message says how to point at the data."""


def build_dataset(cfg: Config) -> ListedImageDataset:
    """Build ``cfg.dataset``; its missing-image warning is left to the caller's report.

    Raises:
        DatasetNotFoundError: the dataset folder (unless ``lazy_init``), a list, image folder
            or annotation file is missing; the message names the dataset folder and the
            options that move it.
    """
    register_all_modules()
    from dynaseg.registry import DATASETS

    folder = Path(cfg.dataset.data_root)
    how = (
        f'pass --data-root DIR, the folder holding {folder.name}/, or --cfg-options '
        f'data_root=DIR/{folder.name}'
    )
    # A lazily built dataset is only listed later, by a caller that may accept none present.
    if not folder.is_dir() and not cfg.dataset.get('lazy_init', False):
        raise DatasetNotFoundError(f'dataset folder {folder} does not exist: {how}')
    with warnings.catch_warnings():
        # The runner prints listed / missing / present counts itself, on rank 0 only.
        warnings.filterwarnings('ignore', message='.*listed images are missing')
        try:
            # Listed before it is built: mmengine cannot build an empty dataset, and says so
            # in words about arrays, not about the split.
            dataset = DATASETS.build({**cfg.dataset, 'lazy_init': True})
            if cfg.dataset.get('lazy_init', False):
                return dataset
            if not dataset.list_samples():
                split = cfg.dataset.get('split')
                raise DatasetNotFoundError(
                    f'{type(dataset).__name__} lists no image'
                    + (f" of split '{split}' (--split)" if split else '')
                    + f' in {folder}: {how}'
                )
            dataset.full_init()
            return dataset
        except DatasetNotFoundError:
            raise
        except FileNotFoundError as err:
            raise DatasetNotFoundError(f'{err} (dataset folder {folder}: {how})') from err


# ----------------------------------------------------------------------------- segmentation


def _segment_shard(
    infos: Sequence[dict],
    model: DynaSegBase,
    layout: DatasetLayout,
    record_extra: dict,
    rank: int,
    log: Callable[[str], None],
    progress: Progress,
    batch_size: int = 1,
) -> list[ImageOutcome]:
    """Segment this rank's images (``batch_size`` together, see :mod:`.batching`); a
    failing image is recorded and the run goes on. Each image is reported to ``progress`` as
    soon as it is done, not when the shard is."""
    outcomes = []
    jobs, unreadable = [], []
    for info in infos:
        extra = dict(record_extra, img_id=info['img_id'], rank=rank)
        try:
            path = _input_picture(info, layout, record_extra.get('picture_pixels'))
        except (OSError, ValueError) as err:  # unreadable image: failed like any other
            unreadable.append((ImageJob(Path(info['img_path']), info['img_id'], extra), err))
            continue
        jobs.append(ImageJob(path, info['img_id'], extra))
    segmented = segment_jobs(
        jobs,
        model,
        layout.preds,
        batch_size=batch_size,
        visualize=False,
        on_start=progress.start,
        on_iteration=progress.on_iteration,
        log=log,
    )
    for job, result in itertools.chain(unreadable, segmented):
        img_id = job.stem
        if isinstance(result, ImageOutcome):
            outcome = result
            layout.failure(img_id).unlink(missing_ok=True)  # an earlier failure is now stale
        else:  # one image's failure never stops the others
            outcome = ImageOutcome(
                image=str(job.path), stem=img_id, status='failed', reason=one_line(result)
            )
            save_json(
                layout.failure(img_id),
                {
                    'img_id': img_id,
                    'image': str(job.path),
                    'reason': outcome.reason,
                    'rank': rank,
                },
            )
            # Under --overwrite an older prediction may exist: drop it, so the image is
            # neither scored with it nor skipped as done by the next run.
            layout.pred(img_id).unlink(missing_ok=True)
            log(f'failed: {img_id}: {outcome.reason}')
        outcome.rank = rank
        outcomes.append(outcome)
        progress.finished(outcome)
    return outcomes


def _input_picture(info: dict, layout: DatasetLayout, picture_pixels: int | None) -> Path:
    """The file segmented for one image: the image itself, or with ``picture_pixels`` its copy
    scaled down to at most that many pixels (made once; a rerun reuses it), so that a run
    measures what a user with small pictures gets. Scoring upsamples its labels to the image's
    own size (:func:`~.scoring.evaluate_predictions`)."""
    if not picture_pixels:
        return Path(info['img_path'])
    picture = layout.picture(info['img_id'], picture_pixels)
    if not picture.is_file():
        picture.parent.mkdir(parents=True, exist_ok=True)
        save_downscaled(info['img_path'], picture, picture_pixels)
    return picture


# ----------------------------------------------------------------------------- reporting


def _save_results(
    layout: DatasetLayout, results: dict[str, Any], per_image: list[dict[str, Any]]
) -> None:
    save_json(layout.root / RESULTS_JSON, results)
    with atomic_write(layout.root / RESULTS_PKL, 'wb') as handle:
        pickle.dump(per_image, handle)


# ----------------------------------------------------------------------------- the run


def run_dataset(
    cfg: Config,
    work_dir: str | Path,
    *,
    device: str = 'cpu',
    launcher: str = 'none',
    overwrite: bool = False,
    limit: int | None = None,
    image_ids: Sequence[str] | None = None,
    data_root: str | None = None,
    log: Callable[[str], None] | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Segment the images of ``cfg.dataset`` into ``work_dir`` and evaluate them (see module doc).

    Under a launcher every process calls this: the images still to do are split between ranks
    (each exactly once), each rank writes its own files, and rank 0 scores all predictions
    present after every rank has finished; every rank returns rank 0's results.

    Args:
        cfg: a config with ``model``, ``dataset`` and ``evaluator``.
        work_dir: output folder (created).
        device: ``'cpu'`` or ``'cuda'``.
        launcher: ``'none'``, ``'pytorch'`` (torchrun) or ``'slurm'``.
        overwrite: redo images whose prediction exists (default: resume, skipping them).
        limit: segment only the first ``limit`` present images (of ``image_ids`` if given;
            all predictions present are scored either way; 0 scores without segmenting).
        image_ids: segment only these images (``--image-ids``); an id the dataset does not
            hold raises ``ValueError`` before anything runs.
        data_root: the data root, the folder holding the config's dataset folder
            (``--data-root``, see :func:`apply_data_root`); None: the config's own.
        log: where progress lines go (default ``print``).
        batch_size: most same-size images optimised together (each rank batches its own
            shard); None: the config's ``batch_size`` (default 1, one image at a time).

    Returns:
        What ``eval_results.json`` holds, plus ``exit_code`` (1 if any image failed).
    """
    start = time.monotonic()
    dist = init_distributed(launcher, device)
    apply_data_root(cfg, data_root)
    layout = DatasetLayout(Path(work_dir))
    dataset = build_dataset(cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    scope = infos if image_ids is None else _select(infos, image_ids, dataset)
    scope = scope if limit is None else scope[: max(limit, 0)]
    layout.create()
    todo = [i for i in scope if overwrite or not layout.pred(i['img_id']).is_file()]
    mine = shard(todo, dist.rank, dist.world_size)
    progress = Progress(len(mine), enabled=dist.is_main)
    log = log or progress.write
    unlisted = unlisted_images(dataset, infos)
    if dist.is_main:
        split = f" '{dataset.split}'" if getattr(dataset, 'split', None) else ''
        log(
            f'{type(dataset).__name__}{split} at {dataset.data_root}: '
            f'{len(dataset.listed_ids)} listed, {len(dataset.missing_ids)} missing, '
            f'{len(infos)} present; {len(scope)} in scope, {len(scope) - len(todo)} already '
            f'segmented, {len(todo)} to segment on {dist.world_size} process(es)'
        )
        if unlisted:
            log(
                f'{len(unlisted)} image(s) on disk beside the listed ones are not in '
                f"{type(dataset).__name__}'s list (neither segmented nor scored): "
                f'{", ".join(unlisted[:20])}'
                + (f' ... ({len(unlisted) - 20} more)' if len(unlisted) > 20 else '')
            )
    if dist.world_size > 1:
        # Every rank must list the predictions before any rank writes one, or ranks would
        # shard different lists and an image could be done twice or never.
        from mmengine.dist import barrier

        barrier()
    model = build_segmentor(cfg, device)
    extra = {
        'config': config_name(cfg),
        'device': device,
        'model_config': cfg.model.to_dict(),
        'picture_pixels': cfg.get('picture_pixels'),
    }
    try:
        segmented = _segment_shard(
            mine,
            model,
            layout,
            extra,
            dist.rank,
            log,
            progress,
            int(cfg.get('batch_size', 1)) if batch_size is None else batch_size,
        )
    finally:
        progress.close()
    outcomes = gather(segmented, dist.world_size)  # also waits until every rank has written

    results: dict[str, Any] | None = None
    if dist.is_main:
        results = _evaluate_and_save(
            cfg, dataset, infos, outcomes, layout, device, dist.world_size, start, unlisted
        )
        log(format_results(results))
    if dist.world_size > 1:
        from mmengine.dist import broadcast_object_list

        holder = [results]
        broadcast_object_list(holder, src=0)
        results = holder[0]
    assert results is not None
    return results


def unlisted_images(dataset: ListedImageDataset, infos: Sequence[dict]) -> list[str]:
    """The image files in the folders of the present images whose stem the dataset's list does
    not hold (COCO's images beyond the curated list, VOC's of other splits): they are never
    segmented nor scored, and the run names them rather than leaving them out in silence."""
    folders = sorted({Path(info['img_path']).parent for info in infos})
    listed = {str(i) for i in dataset.listed_ids}
    return sorted(
        path.stem
        for folder in folders
        for path in folder.iterdir()
        if path.suffix.lower() in IMAGE_EXTENSIONS and path.stem not in listed
    )


def _select(infos: list[dict], image_ids: Sequence[str], dataset: ListedImageDataset) -> list[dict]:
    """The present images among ``image_ids``, in the dataset's order."""
    wanted = {str(i) for i in image_ids}
    unknown = sorted(wanted - {str(i) for i in dataset.listed_ids})
    if unknown:
        raise ValueError(
            f'--image-ids: {len(unknown)} id(s) not listed by {type(dataset).__name__} at '
            f'{dataset.data_root}: {", ".join(unknown[:10])}'
        )
    return [i for i in infos if str(i['img_id']) in wanted]


def _evaluate_and_save(
    cfg: Config,
    dataset: ListedImageDataset,
    infos: list[dict],
    outcomes: list[ImageOutcome],
    layout: DatasetLayout,
    device: str,
    world_size: int,
    start: float,
    unlisted: list[str],
) -> dict[str, Any]:
    evaluation = evaluate_predictions(cfg, infos, layout)
    failed = [
        {'img_id': o.stem, 'stage': 'segment', 'reason': o.reason}
        for o in outcomes
        if o.status == 'failed'
    ] + evaluation.failures
    failed_ids = {f['img_id'] for f in failed}
    not_segmented = [
        i['img_id']
        for i in infos
        if not layout.pred(i['img_id']).is_file() and i['img_id'] not in failed_ids
    ]
    results: dict[str, Any] = {
        'config': config_name(cfg),
        'config_file': getattr(cfg, 'filename', None),
        'seed': int(cfg.model.get('seed', 0)),
        'dataset': {
            'type': type(dataset).__name__,
            'data_root': str(dataset.data_root),
            'split': getattr(dataset, 'split', None),
        },
        'picture_pixels': cfg.get('picture_pixels'),
        'counts': {
            'listed': len(dataset.listed_ids),
            'missing': len(dataset.missing_ids),
            'present': len(infos),
            'scored': len(evaluation.per_image),
            'failed': len(failed),
            'not_segmented': len(not_segmented),
            'segmented_this_run': sum(o.status == 'done' for o in outcomes),
        },
        'metrics': evaluation.metrics,
        'protocol': evaluation.protocol,
        'scored_ids': [row['img_id'] for row in evaluation.per_image],
        'nan_images': evaluation.nan_images,
        'failed': failed,
        'missing_ids': list(dataset.missing_ids),
        'not_segmented_ids': not_segmented,
        'unlisted_ids': unlisted,
        'run': {
            'device': device,
            'world_size': world_size,
            'seconds': round(time.monotonic() - start, 3),
        },
        'exit_code': 1 if failed else 0,
    }
    _save_results(layout, results, evaluation.per_image)
    return results
