"""Segment every image of a folder: resumable, one failure never stops the run, shardable by rank.

Outputs for an input ``<stem>.<ext>`` (stems from :func:`~dynaseg.utils.image_io.output_stems`,
so ``a.jpg`` and ``a.png`` never overwrite each other)::

    <out>/<stem>.png                 single-channel label map at the input size (the "done" marker)
    <out>/<stem>.csv                 the same in Kim et al.'s CSV format (save_csv)
    <out>/vis/<stem>_color.png       colour rendering of the labels (visualize)
    <out>/vis/<stem>_overlay.jpg     labels blended over the image (visualize)
    <out>/records/<stem>.json        iterations, label counts, seconds, stop reason, config, seed

With scribbles (``segment_folder(..., scribble=True)``), each image ``<stem>.<ext>`` is guided by
``<stem>_scribble.png`` beside it (or in ``scribble_folder``); files named ``*_scribble.png`` are
masks, never segmented themselves. A mask is read and validated once, here
(:func:`~dynaseg.utils.scribble_io.read_scribble`); the model receives the checked array.

Every file is written atomically and the label map last, so an image counts as done exactly when
its label map exists: a rerun after a crash or Ctrl-C skips finished images and redoes the rest.
"""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from mmengine.config import Config

from dynaseg.utils.dist import shard
from dynaseg.utils.fileio import (
    is_within,
    load_label_map,
    save_image,
    save_json,
    save_label_csv,
    save_label_map,
)
from dynaseg.utils.image_io import DEFAULT_MAX_PIXELS, list_images, load_image, output_stems
from dynaseg.utils.scribble_io import (
    ScribbleError,
    is_scribble_file,
    read_scribble,
    scribble_classes,
    scribble_path_for,
)
from dynaseg.visualization import colorize_labels, overlay

from .inference import build_segmentor, config_name, image_to_tensor
from .layout import OutputLayout
from .runtime import Progress, RunInterrupted, gather, one_line
from .summary import FolderSummary, ImageOutcome

if TYPE_CHECKING:
    from dynaseg.engine import OptimizationRecord
    from dynaseg.models.segmentors import DynaSegBase

__all__ = ['check_folders', 'segment_file', 'segment_folder']


def _write_side_outputs(
    layout: OutputLayout,
    stem: str,
    rgb: np.ndarray | None,
    labels: np.ndarray,
    *,
    visualize: bool,
    save_csv: bool,
) -> None:
    if save_csv:
        save_label_csv(layout.csv(stem), labels)
    if visualize and rgb is not None:
        save_image(layout.color(stem), colorize_labels(labels))
        save_image(layout.overlay(stem), overlay(rgb, labels))


def segment_file(
    path: str | os.PathLike[str],
    out_stem: str,
    model: DynaSegBase,
    output_folder: str | os.PathLike[str],
    *,
    visualize: bool = True,
    save_csv: bool = False,
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
    record_extra: dict | None = None,
    on_iteration: Callable[[int, int], None] | None = None,
    scribble: str | os.PathLike[str] | None = None,
) -> ImageOutcome:
    """Segment one image file and write its outputs (label map last, all atomically).

    Args:
        path: the input image (any format :func:`~dynaseg.utils.image_io.load_image` reads).
        out_stem: the name of its outputs (see the module docstring for the layout).
        model: a built DynaSeg segmentor (:func:`~dynaseg.apis.build_segmentor`).
        output_folder: the output root; its ``vis/`` and ``records/`` folders must exist
            (:meth:`OutputLayout.create`).
        visualize: write the colour and overlay images.
        save_csv: also write the label map as Kim et al.'s CSV.
        max_image_pixels: refuse larger images (before decoding them).
        record_extra: extra fields for the JSON record (config name, model config, rank...).
        on_iteration: ``callback(iteration, num_labels)`` during the optimisation.
        scribble: a scribble mask PNG for this image (255 = no scribble), read and validated
            here by :func:`~dynaseg.utils.scribble_io.read_scribble`.

    Returns:
        The ``'done'`` :class:`ImageOutcome`.

    Raises:
        ImageReadError, ScribbleError, NonFiniteLossError, MemoryError, ...: nothing is written
            for the image
        then (a failure while writing leaves no label map, so the image is redone next run).
    """
    layout = OutputLayout(Path(output_folder))
    rgb = load_image(path, max_pixels=max_image_pixels)
    mask = None
    if scribble is not None:
        mask = read_scribble(scribble, rgb.shape[:2], model.q_max)
        record_extra = dict(
            record_extra or {}, scribble=str(scribble), scribble_classes=scribble_classes(mask)
        )
    labels, record = model.segment(
        image_to_tensor(rgb, model), on_iteration=on_iteration, scribble=mask
    )
    return write_image_outputs(
        layout,
        path,
        out_stem,
        rgb,
        labels,
        record,
        int(model.seed),
        visualize=visualize,
        save_csv=save_csv,
        record_extra=record_extra,
    )


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
    record_extra: dict | None = None,
) -> ImageOutcome:
    """Write one segmented image's record, side outputs and label map (last), atomically.

    The JSON record holds every field of the :class:`OptimizationRecord` (serialised
    generically, so a field the engine adds is written without an edit here), the per-iteration
    series under ``history``, and ``num_labels``: the labels of the returned map.
    """
    num_labels = int(len(np.unique(labels)))
    fields = dataclasses.asdict(record)
    # plot_history reads these two series.
    history = {'n_labels': fields.pop('label_counts'), 'loss': fields.pop('losses')}
    save_json(
        layout.record(out_stem),
        {
            'image': str(path),
            'stem': out_stem,
            'height': int(labels.shape[0]),
            'width': int(labels.shape[1]),
            'num_labels': num_labels,
            'seed': seed,
            **fields,
            'history': history,
            **(record_extra or {}),
        },
    )
    _write_side_outputs(layout, out_stem, rgb, labels, visualize=visualize, save_csv=save_csv)
    save_label_map(layout.label_map(out_stem), labels)  # last: marks the image as done
    return ImageOutcome(
        image=str(path),
        stem=out_stem,
        status='done',
        seconds=record.seconds,
        num_labels=num_labels,
        iterations=record.iterations,
    )


def _complete_done_image(
    path: Path,
    stem: str,
    layout: OutputLayout,
    *,
    visualize: bool,
    save_csv: bool,
    max_image_pixels: int,
) -> None:
    """Rewrite side outputs missing beside an existing label map (cheap: no optimisation)."""
    missing_vis = visualize and not (layout.color(stem).exists() and layout.overlay(stem).exists())
    missing_csv = save_csv and not layout.csv(stem).exists()
    if not (missing_vis or missing_csv):
        return
    labels = load_label_map(layout.label_map(stem))
    rgb = load_image(path, max_pixels=max_image_pixels) if missing_vis else None
    _write_side_outputs(layout, stem, rgb, labels, visualize=missing_vis, save_csv=missing_csv)


def check_folders(
    input_folder: str | os.PathLike[str], output_folder: str | os.PathLike[str]
) -> None:
    """Refuse an output folder that is the input folder (``<stem>.png`` could be an input).

    An output folder inside the input folder is fine: the listing excludes it.
    """
    if not Path(input_folder).is_dir():
        raise NotADirectoryError(
            f'input folder {str(input_folder)!r} does not exist or is not a folder'
        )
    if is_within(input_folder, output_folder) and is_within(output_folder, input_folder):
        raise ValueError(
            f'output folder {str(output_folder)!r} is the input folder; label maps '
            '<stem>.png could overwrite input images. Choose another folder '
            '(a sub-folder of the input is fine).'
        )


def segment_folder(
    input_folder: str | os.PathLike[str],
    output_folder: str | os.PathLike[str],
    cfg: Config,
    *,
    device: str = 'cpu',
    overwrite: bool = False,
    save_csv: bool = False,
    visualize: bool = True,
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
    rank: int = 0,
    world_size: int = 1,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    scribble: bool = False,
    scribble_folder: str | os.PathLike[str] | None = None,
    batch_size: int | None = None,
) -> FolderSummary:
    """Segment the images of a folder (not its sub-folders), resuming where a run stopped.

    With ``world_size > 1`` (a started ``torch.distributed`` group, see
    :func:`dynaseg.utils.dist.init_distributed`) every process calls this with its rank: the
    images still to do are split between ranks, each processed once, and every rank gets the
    gathered summary back.

    Args:
        input_folder: folder of images; it is never written to.
        output_folder: created if missing; must not be ``input_folder`` (a sub-folder is fine).
        cfg: the DynaSeg config (see :func:`~dynaseg.apis.load_config`).
        device: ``'cpu'`` or ``'cuda'``.
        overwrite: redo images whose label map exists (default: skip them).
        save_csv: also write Kim-format CSV label maps.
        visualize: write ``vis/<stem>_color.png`` and ``vis/<stem>_overlay.jpg``.
        max_image_pixels: images with more pixels fail with a message naming the limit.
        rank, world_size: this process's share of the work.
        progress: show a progress bar (rank 0 only).
        log: where one-line notices go (skipped non-images); default: the progress bar's writer.
        scribble: guide every image with ``<stem>_scribble.png`` (beside it, or in
            ``scribble_folder``); an image without one fails with a message naming the expected
            file, and ``*_scribble.png`` files are not segmented.
        scribble_folder: where the masks are (default: the input folder).
        batch_size: most same-size images optimised together (see
            :mod:`~dynaseg.apis.batching`); None: the config's ``batch_size`` (default 1, one
            image at a time). Each rank batches its own shard.

    Returns:
        The :class:`FolderSummary` (every rank gets the whole run's summary).

    Raises:
        RunInterrupted: on Ctrl-C (or a SIGTERM turned into it by the caller); it carries this
            rank's partial summary. Files already written stay valid; a rerun resumes.
        NotADirectoryError, ValueError, UnwritableDirectoryError: bad folders, before any work.
    """
    from .batching import ImageJob, segment_jobs  # batching builds on segment_file

    check_folders(input_folder, output_folder)
    layout = OutputLayout(Path(output_folder))
    layout.create()
    images, not_images = list_images(input_folder, exclude=output_folder)
    if scribble or scribble_folder is not None:
        images = [p for p in images if not is_scribble_file(p)]  # masks, not inputs
    stems = output_stems(images)
    # Done images are set aside before sharding, so a resumed run balances the remaining work.
    todo = [p for p in images if overwrite or not layout.label_map(stems[p]).exists()]
    done_before = sorted(set(images) - set(todo))
    my_done, my_todo = shard(done_before, rank, world_size), shard(todo, rank, world_size)
    if world_size > 1:
        # Every rank must list the folder before any rank writes a label map.
        from mmengine.dist import barrier

        barrier()
    model = build_segmentor(cfg, device)
    extra = {'config': config_name(cfg), 'device': device, 'model_config': cfg.model.to_dict()}

    is_main = rank == 0
    bar = Progress(len(my_done) + len(my_todo), enabled=progress and is_main)
    log = log or bar.write
    summary = FolderSummary(not_images=[str(p) for p in not_images])
    if is_main:
        for path in not_images:
            log(f'skipped (not an image): {path}')
    outcomes: list[ImageOutcome] = []
    try:
        for path in my_done:
            outcomes.append(
                _skip(
                    path,
                    stems[path],
                    layout,
                    rank,
                    visualize=visualize,
                    save_csv=save_csv,
                    max_image_pixels=max_image_pixels,
                )
            )
            bar.bar.update()
        guided = scribble or scribble_folder is not None

        def mask_for(path: Path) -> Callable[[], Path]:
            def find() -> Path:
                mask_path = scribble_path_for(path, scribble_folder)
                if not mask_path.is_file():
                    raise ScribbleError(mask_path, f'no such file (the scribble of {path.name})')
                return mask_path

            return find

        jobs = [
            ImageJob(
                path,
                stems[path],
                dict(extra, rank=rank),
                scribble=mask_for(path) if guided else None,
            )
            for path in my_todo
        ]
        for job, result in segment_jobs(
            jobs,
            model,
            layout.root,
            batch_size=int(cfg.get('batch_size', 1)) if batch_size is None else batch_size,
            visualize=visualize,
            save_csv=save_csv,
            max_image_pixels=max_image_pixels,
            on_start=bar.start,
            on_iteration=bar.on_iteration,
            log=log if is_main else None,
        ):
            if isinstance(result, Exception):
                outcome = ImageOutcome(
                    image=str(job.path), stem=job.stem, status='failed', reason=one_line(result)
                )
                log(f'failed: {job.path}: {outcome.reason}')
            else:
                outcome = result
            outcome.rank = rank
            outcomes.append(outcome)
            bar.bar.update()
    except KeyboardInterrupt as err:
        bar.close()
        summary.outcomes = sorted(outcomes, key=lambda o: o.image)
        raise RunInterrupted(getattr(err, 'signum', signal.SIGINT), summary) from err
    bar.close()
    summary.outcomes = sorted(gather(outcomes, world_size), key=lambda o: o.image)
    return summary


def _skip(
    path: Path,
    stem: str,
    layout: OutputLayout,
    rank: int,
    *,
    visualize: bool,
    save_csv: bool,
    max_image_pixels: int,
) -> ImageOutcome:
    """The outcome of an already segmented image, after completing its missing side outputs."""
    try:
        _complete_done_image(
            path,
            stem,
            layout,
            visualize=visualize,
            save_csv=save_csv,
            max_image_pixels=max_image_pixels,
        )
    except Exception as err:
        return ImageOutcome(
            image=str(path),
            stem=stem,
            status='failed',
            rank=rank,
            reason=f'label map exists but side outputs could not be written: '
            f'{one_line(err)} (rerun with --overwrite)',
        )
    return ImageOutcome(image=str(path), stem=stem, status='skipped', rank=rank)
