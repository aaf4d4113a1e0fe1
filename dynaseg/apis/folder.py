"""Segment every image of a folder: resumable, one failure never stops the run, shareable.

Outputs for an input ``<stem>.<ext>`` (stems from :func:`~dynaseg.utils.image_io.output_stems`,
so ``a.jpg`` and ``a.png`` never overwrite each other)::

    <out>/<stem>.png                 single-channel label map at the input size (the "done" marker)
    <out>/<stem>.csv                 the same in Kim et al.'s CSV format (save_csv)
    <out>/vis/<stem>_color.png       colour rendering of the labels (visualize)
    <out>/vis/<stem>_overlay.jpg     labels blended over the image (visualize)
    <out>/records/<stem>.json        iterations, label counts, seconds, stop reason, config, seed
                                     (every field: :mod:`~dynaseg.apis.records`)
    <out>/claims/<stem>.claim        while a worker segments the image (:mod:`~dynaseg.apis.claims`)

Label ids are stored as 0..n-1 in the order of the optimiser's ids (scribble-guided images keep
theirs, the scribble classes).

With scribbles (``segment_folder(..., scribble=True)``), each image ``<stem>.<ext>`` is guided by
``<stem>_scribble.png`` beside it (or in ``scribble_folder``); files named ``*_scribble.png`` are
masks, never segmented themselves. A mask is read and validated once, here
(:func:`~dynaseg.utils.scribble_io.read_scribble`); the model receives the checked array.

Every file is written atomically and the label map last, so an image counts as done exactly when
its label map exists: a rerun after a crash or Ctrl-C skips finished images and redoes the rest.
Several processes started on the same folders share the work through claims; a torchrun or srun
launch splits it by rank as well. A write error every further image would hit (a full disk, a
read-only output, a permission error) stops the run at once (:class:`RunStopped`).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from mmengine.config import Config

from dynaseg.utils.dist import shard
from dynaseg.utils.fileio import OutputStorageError, is_within
from dynaseg.utils.image_io import DEFAULT_MAX_PIXELS, list_images, output_stems
from dynaseg.utils.scribble_io import ScribbleError, is_scribble_file, scribble_path_for

from .batching import ImageJob, segment_file, segment_jobs
from .claims import Claims
from .inference import build_segmentor, config_name
from .layout import OutputLayout, complete_side_outputs, discard_partial_outputs
from .records import load_record, plain_json
from .runtime import Progress, RunInterrupted, RunStopped, gather, one_line
from .summary import FolderSummary, ImageOutcome

# segment_file is defined with the other per-image paths in .batching; it is part of the folder API.
__all__ = [
    'NoImagesError',
    'OtherConfigError',
    'check_folders',
    'check_same_config',
    'segment_file',
    'segment_folder',
]


class NoImagesError(ValueError):
    """The input folder holds no image to segment."""


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


class OtherConfigError(ValueError):
    """The output folder holds label maps made with another model config."""


def check_same_config(layout: OutputLayout, stems: list[str], cfg: Config) -> None:
    """Refuse to resume into a folder whose finished images were made with another model
    config: a rerun would otherwise skip them and leave a folder of two configs' labels.

    A label map without a readable record (written by hand, or by a version before records
    held the config) is taken as it is.

    Raises:
        OtherConfigError: naming how many, one of them, its config, and the two ways out.
    """
    wanted = plain_json(cfg.model.to_dict())
    others = []
    for stem in stems:
        try:
            record = load_record(layout.record(stem))
        except (OSError, ValueError):
            continue
        if 'model_config' in record and plain_json(record['model_config']) != wanted:
            others.append((stem, record.get('config', '?')))
    if others:
        stem, name = others[0]
        raise OtherConfigError(
            f'{len(others)} of the {len(stems)} label maps in {str(layout.root)!r} were made '
            f'with another model config (e.g. {stem}.png, by {name}); rerun with --overwrite '
            'to redo them with this one, or choose another --work-dir'
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

    Several processes may call this on the same folders at once (started by hand, on one
    machine or several sharing the file system): each image is claimed before it is segmented
    (:mod:`~dynaseg.apis.claims`), so each is done once, and the claims of a worker that died
    are recovered. With ``world_size > 1`` (a started ``torch.distributed`` group, see
    :func:`dynaseg.utils.dist.init_distributed`) every process calls this with its rank: the
    images still to do are split between ranks, and every rank gets the gathered summary back.

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
        progress: show progress (rank 0 only): a bar on a terminal, else a line per image.
        log: where one-line notices go (skipped non-images); default: the progress writer.
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
        RunStopped: a write failed in a way every further image would (a full disk, a
            read-only output, a permission error); raised at once, with the partial summary.
        NoImagesError: the input folder holds no image to segment.
        OtherConfigError: without ``overwrite``, finished images of the output folder were
            made with another model config (:func:`check_same_config`), before any work.
        NotADirectoryError, ValueError, UnwritableDirectoryError: bad folders, before any work.
    """
    check_folders(input_folder, output_folder)
    images, not_images = list_images(input_folder, exclude=output_folder)
    guided = scribble or scribble_folder is not None
    if guided:
        images = [p for p in images if not is_scribble_file(p)]  # masks, not inputs
    if not images:
        others = f' (only {len(not_images)} files that are not images)' if not_images else ''
        raise NoImagesError(f'no images to segment in {str(input_folder)!r}{others}')
    layout = OutputLayout(Path(output_folder))
    layout.create(visualize)
    stems = output_stems(images)
    # Done images are set aside before sharding, so a resumed run balances the remaining work.
    todo = [p for p in images if overwrite or not layout.label_map(stems[p]).exists()]
    done_before = sorted(set(images) - set(todo))
    check_same_config(layout, [stems[p] for p in done_before], cfg)
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
    started = time.time()

    def is_done(stem: str) -> bool:
        """Whether the label map exists (under ``overwrite``: was written during this run)."""
        try:
            written = layout.label_map(stem).stat().st_mtime
        except FileNotFoundError:
            return False
        return not overwrite or written >= started

    claims = Claims(
        layout.claims,
        is_done,
        # Only the claim holder writes an image's files: what a gone holder left is partial.
        on_recovered=lambda stem: discard_partial_outputs(layout, stem, label_map=False),
    )
    outcomes: list[ImageOutcome] = []

    def finished(outcome: ImageOutcome) -> None:
        outcome.rank = rank
        outcomes.append(outcome)
        bar.finished(outcome)

    def mask_for(path: Path) -> Callable[[], Path]:
        def find() -> Path:
            mask_path = scribble_path_for(path, scribble_folder)
            if not mask_path.is_file():
                raise ScribbleError(mask_path, f'no such file (the scribble of {path.name})')
            return mask_path

        return find

    try:
        for path in my_done:
            finished(
                _skip(
                    path,
                    stems[path],
                    layout,
                    visualize=visualize,
                    save_csv=save_csv,
                    max_image_pixels=max_image_pixels,
                )
            )
        pending = [
            ImageJob(
                path,
                stems[path],
                dict(extra, rank=rank),
                scribble=mask_for(path) if guided else None,
            )
            for path in my_todo
        ]
        # Images another worker holds are revisited while this worker still finds work: the
        # holder may have finished them, or died and left its claim to recover.
        while pending:
            held: list[tuple[ImageJob, ImageOutcome]] = []
            for job, result in segment_jobs(
                pending,
                model,
                layout.root,
                batch_size=int(cfg.get('batch_size', 1)) if batch_size is None else batch_size,
                visualize=visualize,
                save_csv=save_csv,
                max_image_pixels=max_image_pixels,
                contiguous_ids=not guided,
                claims=claims,
                on_start=bar.start,
                on_iteration=bar.on_iteration,
                log=log if is_main else None,
            ):
                if isinstance(result, Exception):
                    outcome = ImageOutcome(
                        image=str(job.path), stem=job.stem, status='failed', reason=one_line(result)
                    )
                    log(f'failed: {job.path}: {outcome.reason}')
                elif result.status == 'other' and not is_done(job.stem):
                    held.append((job, result))
                    continue
                else:
                    outcome = result
                finished(outcome)
            if len(held) == len(pending):  # nothing was free this time: leave them to others
                for _, outcome in held:
                    finished(outcome)
                break
            pending = [job for job, _ in held]
    except KeyboardInterrupt as err:
        summary.outcomes = sorted(outcomes, key=lambda o: o.image)
        raise RunInterrupted(getattr(err, 'signum', signal.SIGINT), summary) from err
    except OutputStorageError as err:
        summary.outcomes = sorted(outcomes, key=lambda o: o.image)
        raise RunStopped(err, summary) from err
    finally:
        bar.close()
        claims.close()
    summary.outcomes = sorted(gather(outcomes, world_size), key=lambda o: o.image)
    return summary


def _skip(
    path: Path,
    stem: str,
    layout: OutputLayout,
    *,
    visualize: bool,
    save_csv: bool,
    max_image_pixels: int,
) -> ImageOutcome:
    """The outcome of an already segmented image, after completing its missing side outputs."""
    try:
        complete_side_outputs(
            layout,
            path,
            stem,
            visualize=visualize,
            save_csv=save_csv,
            max_image_pixels=max_image_pixels,
        )
    except OutputStorageError:
        raise  # the run stops: every further image would fail to write too
    except Exception as err:
        return ImageOutcome(
            image=str(path),
            stem=stem,
            status='failed',
            reason=f'label map exists but side outputs could not be written: '
            f'{one_line(err)} (rerun with --overwrite)',
        )
    return ImageOutcome(image=str(path), stem=stem, status='skipped')
