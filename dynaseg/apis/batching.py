"""Segment a list of image files, one at a time or in same-size batches, each image on its own.

Both runners (:mod:`~dynaseg.apis.folder`, :mod:`~dynaseg.apis.dataset_runner`) hand their
shard of images to :func:`segment_jobs` and get back, image by image, either its
:class:`ImageOutcome` or the exception it failed with; what a failure means (a failure file,
a log line) stays with the runner.

``batch_size`` 1 is exactly the one-image path (:func:`segment_file` per image). With
``batch_size`` N > 1 the images are grouped by size (read from the file headers, so nothing is
decoded ahead of its batch: BSDS500's landscape and portrait images form two buckets), and each
group of up to N is decoded and optimised together by the segmentor's ``segment_batch`` (one
seeded network per image, grouped convolutions). Everything stays per image: its own stopping
rule (the engine's), record JSON, outputs, label map written last (the resume marker), atomic
writes. An image that cannot be read fails alone; an image that diverges fails alone while the
batch's others are written; a batch that fails as a whole (out of memory, ...) is retried one
image at a time. Scribble guidance and extractors that cannot be stacked (ResNet-18 + FPN,
reference-image mode) run one image at a time, and the reason is logged once.

With ``claims`` (workers sharing a folder, :mod:`~dynaseg.apis.claims`) each image is claimed
just before it is decoded and released once its outputs are written; an image another worker
holds or finished is yielded as an ``'other'`` outcome. A write error that would repeat for every
image (:class:`~dynaseg.utils.fileio.OutputStorageError`: a full disk, a read-only output, ...)
is raised, not yielded: the run should stop there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from dynaseg.engine import NonFiniteBatchError, NonFiniteLossError, bucket_by_size
from dynaseg.hierarchy import Cut
from dynaseg.utils.fileio import OutputStorageError, file_fingerprint
from dynaseg.utils.image_io import DEFAULT_MAX_PIXELS, load_image
from dynaseg.utils.scribble_io import read_scribble, scribble_classes

from .inference import image_to_tensor
from .layout import OutputLayout, write_image_outputs
from .runtime import one_line
from .summary import ImageOutcome

if TYPE_CHECKING:
    from dynaseg.models.segmentors import DynaSegBase

    from .claims import Claims

__all__ = ['ImageJob', 'batch_fallback_reason', 'header_size', 'segment_file', 'segment_jobs']

#: EXIF orientations that swap width and height (load_image applies them).
_TRANSPOSED = {5, 6, 7, 8}


@dataclass(frozen=True)
class ImageJob:
    """One image to segment: its file, the stem of its outputs, extra record fields."""

    path: Path
    stem: str
    record_extra: dict = field(default_factory=dict)
    #: () -> the scribble mask file of this image (may raise ScribbleError); None: no guidance.
    scribble: Callable[[], Path] | None = None


def header_size(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """(H, W) as displayed, from the file header alone; None if the header cannot be read."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            try:
                orientation = image.getexif().get(0x0112)
            except Exception:  # metadata past a truncation: the size alone still groups it
                orientation = None
    except Exception:  # the image fails when it is loaded, with load_image's message
        return None
    return (width, height) if orientation in _TRANSPOSED else (height, width)


def batch_fallback_reason(model: DynaSegBase, batch_size: int, scribble: bool) -> str | None:
    """Why images run one at a time despite ``batch_size`` > 1 (None: they are batched)."""
    if batch_size <= 1:
        return None
    if scribble:
        return 'scribble guidance is optimised one image at a time'
    if getattr(model, 'hierarchy', None) is not None:
        return "a region hierarchy is built from one image's response at a time"
    reason_of = getattr(model, 'batch_unsupported_reason', None)
    if reason_of is None:
        return f'{type(model).__name__} labels one image at a time'
    return reason_of()


Result = tuple[ImageJob, ImageOutcome | Exception]
#: The cut a tool writes when none is asked for: the finest level, the segmentor's own labels.
FINEST = Cut()


def input_fields(path: str | os.PathLike[str], field_name: str = 'input') -> dict:
    """The record field holding the fingerprint of an input file, taken before it is read:
    if the file changes while it is segmented, the record names the older content and the
    next run redoes it. Empty if the file cannot be read (reading it fails with the reason).
    """
    try:
        return {field_name: file_fingerprint(path)}
    except OSError:
        return {}


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
    contiguous_ids: bool = True,
    cut: Cut = FINEST,
) -> ImageOutcome:
    """Segment one image file and write its outputs (label map last, all atomically).

    When the model builds a region hierarchy (a config's ``hierarchy``) and the image has no
    scribble, the hierarchy is saved beside the label map, and the label map written is its
    ``cut`` (default: the finest level, the segmentor's own labels).

    Args:
        path: the input image (any format :func:`~dynaseg.utils.image_io.load_image` reads).
        out_stem: the name of its outputs (see :mod:`~dynaseg.apis.folder` for the layout).
        model: a built segmentor (:func:`~dynaseg.apis.build_segmentor`).
        output_folder: the output root; its ``records/`` folder must exist
            (:meth:`OutputLayout.create`).
        visualize: write the colour and overlay images.
        save_csv: also write the label map as Kim et al.'s CSV.
        max_image_pixels: refuse larger images (before decoding them).
        record_extra: extra fields for the JSON record (config name, model config, rank...).
        on_iteration: ``callback(iteration, num_labels)`` during the optimisation.
        scribble: a scribble mask PNG for this image (255 = no scribble), read and validated
            here by :func:`~dynaseg.utils.scribble_io.read_scribble`.
        contiguous_ids: store the label ids as 0..n-1 (see :func:`write_image_outputs`);
            scribble-guided labels always keep their ids, the scribble classes.
        cut: the cut of the hierarchy written as the label map (:class:`~dynaseg.hierarchy.Cut`).

    Returns:
        The ``'done'`` :class:`ImageOutcome`.

    Raises:
        ImageReadError, ScribbleError, NonFiniteLossError, MemoryError, ...: nothing is written
            for the image
        OSError, OutputStorageError: writing failed; the image's partial outputs are removed,
            so it is redone next run.
    """
    layout = OutputLayout(Path(output_folder))
    record_extra = dict(record_extra or {}, **input_fields(path))
    rgb = load_image(path, max_pixels=max_image_pixels)
    mask = None
    if scribble is not None:
        record_extra.update(input_fields(scribble, 'scribble_input'))
        mask = read_scribble(scribble, rgb.shape[:2], model.q_max)
        record_extra.update(scribble=str(scribble), scribble_classes=scribble_classes(mask))
    tensor = image_to_tensor(rgb, model)
    hierarchy = None
    if model.hierarchy is not None and mask is None:
        labels, record, hierarchy = model.segment_hierarchy(tensor, on_iteration=on_iteration)
        record_extra['hierarchy'] = dict(leaves=hierarchy.num_leaves, cut=cut.to_json())
        if not cut.finest:
            labels = cut.of(hierarchy)
    else:
        labels, record = model.segment(tensor, on_iteration=on_iteration, scribble=mask)
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
        contiguous_ids=contiguous_ids and mask is None,
        record_extra=record_extra,
        hierarchy=hierarchy,
    )


def segment_jobs(
    jobs: Sequence[ImageJob],
    model: DynaSegBase,
    output_folder: str | os.PathLike[str],
    *,
    batch_size: int = 1,
    visualize: bool = True,
    save_csv: bool = False,
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
    contiguous_ids: bool = False,
    claims: Claims | None = None,
    on_start: Callable[[str], None] | None = None,
    on_iteration: Callable[[int, int], None] | None = None,
    log: Callable[[str], None] | None = None,
    cut: Cut = FINEST,
) -> Iterator[Result]:
    """Segment ``jobs`` into ``output_folder``; yield ``(job, outcome or exception)`` per image.

    Args:
        batch_size: most images optimised together (1: one at a time, the one-image path).
        contiguous_ids: store label ids as 0..n-1 (:func:`write_image_outputs`). The default
            keeps the optimiser's ids: dataset-level matching (COCO-Stuff protocol a) pools
            cluster ids across images, so renumbering them per image would change its scores.
        claims: claim each image before it starts (workers sharing the folder); None: every
            job is this process's.
        on_start: called with the stem (or stems) about to be optimised.
        on_iteration: ``callback(iteration, num_labels)`` during each optimisation.
        log: where the one-line notice of a fallback to one image at a time goes.
        cut: the cut of each image's hierarchy written as its label map (see
            :func:`segment_file`).
    Yields:
        every job exactly once, in the order its image finished.
    Raises:
        OutputStorageError: a write failed in a way every later image would (see
            :func:`~dynaseg.utils.fileio.repeating_write_error`); the image in hand is left
            with no partial outputs.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    scribble = any(job.scribble is not None for job in jobs)
    reason = batch_fallback_reason(model, batch_size, scribble)
    if reason is not None and jobs and log is not None:
        log(f'--batch-size {batch_size}: one image at a time ({reason})')
    run = _Run(
        model,
        output_folder,
        visualize,
        save_csv,
        max_image_pixels,
        contiguous_ids,
        claims,
        on_start,
        on_iteration,
        log,
        cut,
    )
    if batch_size == 1 or reason is not None:
        for job in jobs:
            yield _one(job, run)
        return
    sizes: dict[Hashable, list[int]] = {}
    for index, job in enumerate(jobs):
        # An unreadable header gets a bucket of its own; loading reports why.
        key = header_size(job.path) or ('unreadable', index)
        sizes.setdefault(key, []).append(index)
    for indices in sizes.values():
        for first in range(0, len(indices), batch_size):
            chunk = [jobs[i] for i in indices[first : first + batch_size]]
            yield from _batch(chunk, run)


@dataclass(frozen=True)
class _Run:
    """The settings of one :func:`segment_jobs` call, shared by each of its images and batches."""

    model: DynaSegBase
    output_folder: str | os.PathLike[str]
    visualize: bool
    save_csv: bool
    max_image_pixels: int
    contiguous_ids: bool
    claims: Claims | None
    on_start: Callable[[str], None] | None
    on_iteration: Callable[[int, int], None] | None
    log: Callable[[str], None] | None
    cut: Cut

    def claim(self, job: ImageJob) -> ImageOutcome | None:
        """None when ``job`` is this worker's to do; else its ``'other'`` outcome."""
        if self.claims is None:
            return None
        refusal = self.claims.acquire(job.stem)
        if refusal is None:
            return None
        return ImageOutcome(image=str(job.path), stem=job.stem, status='other', reason=refusal)

    def release(self, job: ImageJob) -> None:
        if self.claims is not None:
            self.claims.release(job.stem)


def _one(job: ImageJob, run: _Run) -> Result:
    """One image through :func:`segment_file`, its failure caught and returned."""
    taken_elsewhere = run.claim(job)
    if taken_elsewhere is not None:
        return job, taken_elsewhere
    try:
        if run.on_start is not None:
            run.on_start(job.stem)
        return job, segment_file(
            job.path,
            job.stem,
            run.model,
            run.output_folder,
            visualize=run.visualize,
            save_csv=run.save_csv,
            max_image_pixels=run.max_image_pixels,
            record_extra=job.record_extra,
            on_iteration=run.on_iteration,
            scribble=None if job.scribble is None else job.scribble(),
            contiguous_ids=run.contiguous_ids,
            cut=run.cut,
        )
    except OutputStorageError:
        raise  # every later image would fail the same way: the run stops
    except Exception as err:  # one image's failure (incl. MemoryError) never stops the run
        return job, err
    finally:
        run.release(job)


def _batch(chunk: list[ImageJob], run: _Run) -> Iterator[Result]:
    """Claim and decode ``chunk`` (one header size), optimise each same-shape group, write."""
    loaded: list[tuple[ImageJob, np.ndarray]] = []
    try:
        for job in chunk:
            taken_elsewhere = run.claim(job)
            if taken_elsewhere is not None:
                yield job, taken_elsewhere
                continue
            try:
                job = replace(job, record_extra=dict(job.record_extra, **input_fields(job.path)))
                loaded.append((job, load_image(job.path, max_pixels=run.max_image_pixels)))
            except Exception as err:
                run.release(job)
                yield job, err
        # Decoded shapes decide (a header can disagree with the pixels it describes).
        for group in bucket_by_size([rgb for _, rgb in loaded]).values():
            items = [loaded[i] for i in group]
            if len(items) == 1:
                yield _one(items[0][0], run)
                continue
            yield from _run_group(items, run)
    finally:  # claims of images a stop or an interrupt left unwritten
        for job, _ in loaded:
            run.release(job)


def _run_group(items: list[tuple[ImageJob, np.ndarray]], run: _Run) -> Iterator[Result]:
    layout = OutputLayout(Path(run.output_folder))
    if run.on_start is not None:
        run.on_start(f'{items[0][0].stem} (+{len(items) - 1})')
    on_iteration = run.on_iteration
    progress = None if on_iteration is None else (lambda _, it, q: on_iteration(it, q))
    start = time.perf_counter()
    try:
        tensors = [image_to_tensor(rgb, run.model) for _, rgb in items]
        results: list = run.model.segment_batch(tensors, on_iteration=progress)
    except NonFiniteBatchError as error:
        results = error.results
    except Exception as err:  # the batch as a whole failed (out of memory, ...): one at a time
        if run.log is not None:
            run.log(
                f'a batch of {len(items)} failed as a whole ({one_line(err)}); '
                'retrying its images one at a time'
            )
        for job, _ in items:
            yield _one(job, run)
        return
    batch_seconds = time.perf_counter() - start
    for (job, rgb), (labels, record) in zip(items, results, strict=True):
        if labels is None:
            run.release(job)
            yield (
                job,
                NonFiniteLossError(
                    f'loss became non-finite at iteration {record.iterations} '
                    '(learning rate too high?); the other images of its batch finished'
                ),
            )
            continue
        extra = dict(job.record_extra, batch_size=len(items), batch_seconds=batch_seconds)
        try:
            outcome: ImageOutcome | Exception = write_image_outputs(
                layout,
                job.path,
                job.stem,
                rgb,
                labels,
                record,
                int(run.model.seed),
                visualize=run.visualize,
                save_csv=run.save_csv,
                contiguous_ids=run.contiguous_ids,
                record_extra=extra,
            )
        except OutputStorageError:
            raise
        except Exception as err:
            outcome = err
        run.release(job)
        yield job, outcome
