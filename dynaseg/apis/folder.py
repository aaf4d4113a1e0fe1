"""Segment every image of a folder: resumable, one failure never stops the run, shareable.

Outputs for an input ``<stem>.<ext>`` (stems from :func:`~dynaseg.utils.image_io.output_stems`:
``a.jpg`` and ``a.png`` never overwrite each other, and adding an input never renames the
outputs another input has)::

    <out>/<stem>.png                 single-channel label map at the input size (written last)
    <out>/<stem>.csv                 the same in Kim et al.'s CSV format (save_csv)
    <out>/vis/<stem>_color.png       colour rendering of the labels (visualize)
    <out>/vis/<stem>_overlay.jpg     labels blended over the image (visualize)
    <out>/records/<stem>.json        iterations, label counts, seconds, stop reason, config, seed,
                                     the input's fingerprint (every field: :mod:`~.records`)
    <out>/config.json                the model config of every label map in the folder
    <out>/claims/<hash>.claim        while a worker segments the image (:mod:`~dynaseg.apis.claims`)

Label ids are stored as 0..n-1 in the order of the optimiser's ids (scribble-guided images keep
theirs, the scribble classes).

With scribbles (``segment_folder(..., scribble=True)``), each image ``<stem>.<ext>`` is guided by
``<stem>_scribble.png`` beside it (or in ``scribble_folder``); files named ``*_scribble.png`` are
masks, never segmented themselves. A mask is read and validated once, here
(:func:`~dynaseg.utils.scribble_io.read_scribble`); the model receives the checked array.

Every file is written atomically and the label map last. An image counts as done when its label
map exists and its record names the same input file, with the same size and content (SHA-256),
made with the same model config and guidance (:func:`why_not_done`); anything else is redone,
and the log says why. So a rerun after a crash or Ctrl-C skips finished images and redoes the
rest, and a changed input is never taken for done. The input folder is never written to: an
output folder that is the input folder, by any path (a link, a bind mount), is refused.

The first worker records the model config in ``<out>/config.json`` (atomically); every later or
concurrent worker with another config (or guidance) is refused before any work
(:class:`OtherConfigError`). Several processes started on the same folders share the work
through claims; a torchrun or srun launch splits it by rank as well. An image left to another
worker's live claim ends the run with :data:`~.summary.EXIT_LEFT_TO_OTHERS`. A write error every
further image would hit (a full disk, a read-only output, a permission error) stops the run at
once (:class:`RunStopped`).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from mmengine.config import Config

from dynaseg.hierarchy import Cut
from dynaseg.utils.dist import shard
from dynaseg.utils.fileio import OutputStorageError, same_file
from dynaseg.utils.image_io import DEFAULT_MAX_PIXELS, list_images, load_image, output_stems
from dynaseg.utils.printing import printable
from dynaseg.utils.scribble_io import ScribbleError, is_scribble_file, scribble_path_for

from .batching import FINEST, ImageJob, segment_file, segment_jobs
from .claims import Claims
from .inference import build_segmentor, config_name
from .layout import OutputLayout, complete_side_outputs, discard_partial_outputs
from .recut import recut_image, stems_to_recut
from .resume import (
    OtherConfigError,
    RecordCache,
    check_same_config,
    claim_folder_config,
    kept_stems,
    name_refusal,
    run_identity,
    why_not_done,
)
from .runtime import Progress, RunInterrupted, RunStopped, gather, one_line
from .summary import FolderSummary, ImageOutcome

# segment_file (defined with the other per-image paths in .batching) and what a run finds in its
# output folder (.resume) are part of the folder API.
__all__ = [
    'NoImagesError',
    'OtherConfigError',
    'check_folders',
    'check_same_config',
    'claim_folder_config',
    'segment_file',
    'segment_folder',
    'why_not_done',
]


class NoImagesError(ValueError):
    """The input folder holds no image to segment."""


def check_folders(
    input_folder: str | os.PathLike[str], output_folder: str | os.PathLike[str]
) -> None:
    """Refuse an output folder that writes into the input folder: the output folder itself, or
    one of the folders it writes in (``records/``, ``vis/``, ``claims/``), is the input folder.

    Folders are compared as files (device and inode), so every path to the input folder is
    refused: a link, ``..``, or a bind mount (``docker -v dir:/in -v dir:/out``). An output
    folder inside the input folder is fine: the listing excludes it.

    Raises:
        NotADirectoryError: no input folder.
        ValueError: one line naming both folders.
    """
    if not Path(input_folder).is_dir():
        raise NotADirectoryError(
            f'input folder {printable(str(input_folder))!r} does not exist or is not a folder'
        )
    layout = OutputLayout(Path(output_folder))
    for folder in layout.folders:
        if same_file(folder, input_folder):
            which = '' if folder == layout.root else f' (its {folder.name}/ folder)'
            raise ValueError(
                f'output folder {printable(str(output_folder))!r}{which} is the input folder '
                f'{printable(str(input_folder))!r}; outputs could overwrite input images. '
                'Choose another folder (a sub-folder of the input is fine).'
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
    cut: Cut = FINEST,
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
        overwrite: redo every image, and replace the folder's ``config.json`` (default: skip
            the images that are done, see :func:`why_not_done`).
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
        cut: which cut of each image's region hierarchy its label map is (when the config
            builds hierarchies): exactly K regions, a level, or the finest level (default).
            Finished images saved as another cut are re-cut from their saved hierarchies
            (:mod:`~dynaseg.apis.recut`), without optimising again.

    Returns:
        The :class:`FolderSummary` (every rank gets the whole run's summary).

    Raises:
        RunInterrupted: on Ctrl-C (or a SIGTERM turned into it by the caller); it carries this
            rank's partial summary. Files already written stay valid; a rerun resumes.
        RunStopped: a write failed in a way every further image would (a full disk, a
            read-only output, a permission error); raised at once, with the partial summary.
        NoImagesError: the input folder holds no image to segment.
        OtherConfigError: without ``overwrite``, the output folder holds label maps of another
            model config or guidance (:func:`claim_folder_config`), before any work.
        NotADirectoryError, ValueError, UnwritableDirectoryError: bad folders (an output
            folder that is the input folder: :func:`check_folders`), or a ``cut`` some
            finished image cannot give (no saved hierarchy, too few regions), before any work.
    """
    check_folders(input_folder, output_folder)
    if not cut.finest and (cfg.get('hierarchy') is None or scribble or scribble_folder):
        raise ValueError(
            '--regions and --level cut a region hierarchy: the config must set one '
            "(hierarchy = dict(type='MergeHierarchy'), as the default does) and scribbles "
            'give none'
        )
    images, not_images = list_images(input_folder, exclude=output_folder)
    guided = scribble or scribble_folder is not None
    if guided:
        images = [p for p in images if not is_scribble_file(p)]  # masks, not inputs
    if not images:
        others = f' (only {len(not_images)} files that are not images)' if not_images else ''
        raise NoImagesError(f'no images to segment in {printable(str(input_folder))!r}{others}')
    layout = OutputLayout(Path(output_folder))
    layout.create(visualize)
    records: RecordCache = {}
    stems = output_stems(images, kept=kept_stems(layout, images, records))
    if not overwrite and not layout.config.exists():  # a folder made before config.json
        labelled = [stems[p] for p in images if layout.label_map(stems[p]).exists()]
        check_same_config(layout, labelled, cfg, guided)
    claim_folder_config(layout, cfg, guided, overwrite=overwrite)
    identity = run_identity(cfg, guided)
    path_of = {stem: path for path, stem in stems.items()}

    def mask_path(path: Path) -> Path | None:
        return scribble_path_for(path, scribble_folder) if guided else None

    refused = {
        path: reason
        for path in images
        if (reason := name_refusal(layout, stems[path], visualize=visualize, save_csv=save_csv))
    }
    # Why each image is not done: None when it is, '' when it has no label map, else the
    # reason to redo it (logged). Under overwrite every image is to do.
    redo = {
        path: why_not_done(layout, path, stems[path], identity, mask_path(path), records)
        for path in images
        if path not in refused and not overwrite
    }
    # Done images are set aside before sharding, so a resumed run balances the remaining work.
    done_before = sorted(p for p, reason in redo.items() if reason is None)
    recut = set(stems_to_recut(layout, [stems[p] for p in done_before], cut, records))
    todo = [p for p in images if p not in refused and redo.get(p, '') is not None]
    my_done, my_todo = shard(done_before, rank, world_size), shard(todo, rank, world_size)
    my_refused = shard(sorted(refused), rank, world_size)
    if world_size > 1:
        # Every rank must list the folder before any rank writes a label map.
        from mmengine.dist import barrier

        barrier()
    model = build_segmentor(cfg, device)
    extra = {'config': config_name(cfg), 'device': device, 'model_config': cfg.model.to_dict()}

    is_main = rank == 0
    bar = Progress(len(my_done) + len(my_todo) + len(my_refused), enabled=progress and is_main)
    log = log or bar.write
    summary = FolderSummary(not_images=[str(p) for p in not_images])
    if is_main:
        for path in not_images:
            log(f'skipped (not an image): {printable(str(path))}')
        for path in todo:
            if redo.get(path):
                log(f'redoing {printable(str(path))}: {redo[path]}')
    started = time.time()

    def is_done(stem: str) -> bool:
        """Whether ``stem``'s outputs are its input's by this run's config (under
        ``overwrite``: and were written during this run)."""
        path = path_of[stem]
        try:
            written = layout.label_map(stem).stat().st_mtime
        except FileNotFoundError:
            return False
        if overwrite and written < started:
            return False
        return why_not_done(layout, path, stem, identity, mask_path(path)) is None

    def clear_earlier_outputs(stem: str, recovered: bool) -> None:
        """Only the claim holder writes an image's files: what a gone holder, or an earlier
        run from another input or config, left is removed before the image is redone."""
        if recovered or layout.label_map(stem).exists():
            discard_partial_outputs(layout, stem, label_map=True)

    claims = Claims(layout.claims, is_done, on_claimed=clear_earlier_outputs)
    outcomes: list[ImageOutcome] = []

    def finished(outcome: ImageOutcome) -> None:
        outcome.rank = rank
        outcomes.append(outcome)
        bar.finished(outcome)

    def mask_for(path: Path) -> Callable[[], Path]:
        def find() -> Path:
            found = scribble_path_for(path, scribble_folder)
            if not found.is_file():
                raise ScribbleError(found, f'no such file (the scribble of {path.name})')
            return found

        return find

    try:
        for path in my_refused:
            outcome = ImageOutcome(
                image=str(path), stem=stems[path], status='failed', reason=refused[path]
            )
            log(f'failed: {printable(str(path))}: {outcome.reason}')
            finished(outcome)
        for path in my_done:
            if stems[path] in recut:
                rgb = load_image(path, max_pixels=max_image_pixels) if visualize else None
                outcome = recut_image(
                    layout, path, stems[path], cut, visualize=visualize, save_csv=save_csv, rgb=rgb
                )
                finished(outcome)
                continue
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
                cut=cut,
            ):
                if isinstance(result, Exception):
                    outcome = ImageOutcome(
                        image=str(job.path), stem=job.stem, status='failed', reason=one_line(result)
                    )
                    log(f'failed: {printable(str(job.path))}: {outcome.reason}')
                elif result.status == 'other' and not is_done(job.stem):
                    held.append((job, result))
                    continue
                else:
                    outcome = result
                finished(outcome)
            if len(held) == len(pending):  # nothing was free this time: leave them to others
                for _, outcome in held:
                    outcome.status = 'held'
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
