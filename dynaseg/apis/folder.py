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
masks, never segmented themselves. :func:`train_reference_folder` trains the reference-image mode.

Every file is written atomically and the label map last, so an image counts as done exactly when
its label map exists: a rerun after a crash or Ctrl-C skips finished images and redoes the rest.
"""

from __future__ import annotations

import copy
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
from mmengine.config import Config

from dynaseg.utils.dist import shard
from dynaseg.utils.fileio import (
    ensure_writable_dir,
    is_within,
    load_label_map,
    save_image,
    save_json,
    save_label_csv,
    save_label_map,
)
from dynaseg.utils.image_io import (
    DEFAULT_MAX_PIXELS,
    ImageReadError,
    list_images,
    load_image,
    output_stems,
)
from dynaseg.visualization import colorize_labels, overlay

from .inference import build_segmentor, image_to_tensor

if TYPE_CHECKING:
    from dynaseg.models.segmentors.dynaseg import DynaSeg

__all__ = [
    'FolderSummary',
    'ImageOutcome',
    'OutputLayout',
    'RunInterrupted',
    'segment_file',
    'segment_folder',
    'train_reference_folder',
]

#: Suffix of a scribble mask's file name: ``<image stem>_scribble.png``.
SCRIBBLE_SUFFIX = '_scribble.png'

# Redrawing the progress bar on every optimisation step would cost more than a tiny step.
_PROGRESS_REFRESH_SECONDS = 0.5


class RunInterrupted(KeyboardInterrupt):
    """A folder run stopped by SIGINT/SIGTERM; ``summary`` holds what finished before it.

    A ``KeyboardInterrupt`` subclass so notebooks and callers that expect Ctrl-C behave as usual.
    """

    def __init__(self, signum: int = signal.SIGINT, summary: FolderSummary | None = None) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)
        self.summary = summary

    @property
    def exit_code(self) -> int:
        """The shell convention for death by a signal: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


@dataclass(frozen=True)
class OutputLayout:
    """Where the outputs of one image stem go inside the output folder."""

    root: Path

    def label_map(self, stem: str) -> Path:
        return self.root / f'{stem}.png'

    def csv(self, stem: str) -> Path:
        return self.root / f'{stem}.csv'

    def color(self, stem: str) -> Path:
        return self.root / 'vis' / f'{stem}_color.png'

    def overlay(self, stem: str) -> Path:
        return self.root / 'vis' / f'{stem}_overlay.jpg'

    def record(self, stem: str) -> Path:
        return self.root / 'records' / f'{stem}.json'

    def create(self) -> None:
        """Create the folders (proving each writable) before any work starts."""
        for folder in (self.root, self.root / 'vis', self.root / 'records'):
            ensure_writable_dir(folder)


@dataclass
class ImageOutcome:
    """What happened to one input image (picklable, so ranks can gather them)."""

    image: str
    stem: str
    status: str  # 'done' | 'skipped' (label map already there) | 'failed'
    reason: str = ''
    seconds: float = 0.0
    num_labels: int | None = None
    iterations: int | None = None
    rank: int = 0


@dataclass
class FolderSummary:
    """All outcomes of a folder run, sorted by image path, and the non-image files seen."""

    outcomes: list[ImageOutcome] = field(default_factory=list)
    not_images: list[str] = field(default_factory=list)

    def _with(self, status: str) -> list[ImageOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def done(self) -> list[ImageOutcome]:
        return self._with('done')

    @property
    def skipped(self) -> list[ImageOutcome]:
        return self._with('skipped')

    @property
    def failed(self) -> list[ImageOutcome]:
        return self._with('failed')

    @property
    def mean_seconds(self) -> float | None:
        """Mean wall time of the images segmented in this run (None if none were)."""
        done = self.done
        return sum(o.seconds for o in done) / len(done) if done else None

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def format(self, interrupted: str | None = None) -> str:
        """Human-readable summary: counts, mean time, then one line per failure."""
        mean = self.mean_seconds
        lines = [
            f'{"Interrupted by " + interrupted + ": " if interrupted else ""}'
            f'{len(self.done)} done, {len(self.skipped)} skipped (already done), '
            f'{len(self.failed)} failed, {len(self.not_images)} not images'
            + (f'; {mean:.2f} s per image' if mean is not None else '')
        ]
        if self.failed:
            lines.append('Failed images:')
            lines += [f'  {o.image}: {o.reason}' for o in self.failed]
        return '\n'.join(lines)


def one_line(err: BaseException) -> str:
    """A one-line reason for a failed image (ImageReadError already names the file)."""
    if isinstance(err, ImageReadError):
        return err.reason
    message = ' '.join(str(err).split())
    return f'{type(err).__name__}: {message}' if message else type(err).__name__


def config_name(cfg: Config) -> str:
    return Path(cfg.filename).stem if getattr(cfg, 'filename', None) else '<in-memory config>'


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
    model: DynaSeg,
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
        scribble: a scribble mask PNG for this image (255 = no scribble), see
            :func:`~dynaseg.engine.scribble.load_scribble`.

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
        from dynaseg.engine.scribble import load_scribble, scribble_classes

        mask = load_scribble(scribble, rgb.shape[:2], model.q_max)
        record_extra = dict(
            record_extra or {}, scribble=str(scribble), scribble_classes=scribble_classes(mask)
        )
    labels, record = model.segment(
        image_to_tensor(rgb, model), on_iteration=on_iteration, scribble=mask
    )
    num_labels = int(len(np.unique(labels)))
    save_json(
        layout.record(out_stem),
        {
            'image': str(path),
            'stem': out_stem,
            'height': int(labels.shape[0]),
            'width': int(labels.shape[1]),
            'num_labels': num_labels,
            'seed': int(model.seed),
            'iterations': record.iterations,
            'stop_reason': record.stop_reason,
            'seconds': record.seconds,
            'silhouette_k': record.silhouette_k,
            'stage_sizes': record.stage_sizes,
            'stage_iterations': record.stage_iterations,
            # plot_history reads these two series.
            'history': {'n_labels': record.label_counts, 'loss': record.losses},
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


class _Progress:
    """A tqdm bar over images whose postfix shows the current image's label count."""

    def __init__(self, total: int, enabled: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit='img', disable=not enabled, dynamic_ncols=True)
        self._last = 0.0
        self.stem = ''

    def start(self, stem: str) -> None:
        """A new image: name it and show its first label count at once."""
        self.stem, self._last = stem, 0.0
        self.bar.set_description_str(stem)
        self.bar.set_postfix_str('')

    def write(self, message: str) -> None:
        self.bar.write(message)

    def on_iteration(self, iteration: int, num_labels: int) -> None:
        now = time.monotonic()
        if now - self._last >= _PROGRESS_REFRESH_SECONDS:
            self._last = now
            self.bar.set_postfix_str(f'{self.stem}: iter {iteration}, {num_labels} labels')

    def close(self) -> None:
        self.bar.close()


def gather(outcomes: list[ImageOutcome], world_size: int) -> list[ImageOutcome]:
    if world_size == 1:
        return outcomes
    from mmengine.dist import all_gather_object

    return [o for part in all_gather_object(outcomes) for o in part]


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

    Returns:
        The :class:`FolderSummary` (every rank gets the whole run's summary).

    Raises:
        RunInterrupted: on Ctrl-C (or a SIGTERM turned into it by the caller); it carries this
            rank's partial summary. Files already written stay valid; a rerun resumes.
        NotADirectoryError, ValueError, UnwritableDirectoryError: bad folders, before any work.
    """
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
    model = cast('DynaSeg', build_segmentor(cfg, device))
    extra = {'config': config_name(cfg), 'device': device, 'model_config': cfg.model.to_dict()}

    is_main = rank == 0
    bar = _Progress(len(my_done) + len(my_todo), enabled=progress and is_main)
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
        for path in my_todo:
            bar.start(stems[path])
            try:
                mask_path = None
                if scribble or scribble_folder is not None:
                    from dynaseg.engine.scribble import ScribbleError, scribble_path

                    mask_path = scribble_path(path, scribble_folder)
                    if not mask_path.is_file():
                        raise ScribbleError(
                            mask_path, f'no such file (the scribble of {path.name})'
                        )
                outcome = segment_file(
                    path,
                    stems[path],
                    model,
                    layout.root,
                    visualize=visualize,
                    save_csv=save_csv,
                    max_image_pixels=max_image_pixels,
                    record_extra=dict(extra, rank=rank),
                    on_iteration=bar.on_iteration,
                    scribble=mask_path,
                )
            except Exception as err:  # one image's failure (incl. MemoryError) never stops the run
                outcome = ImageOutcome(
                    image=str(path), stem=stems[path], status='failed', reason=one_line(err)
                )
                log(f'failed: {path}: {outcome.reason}')
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


def interrupt_on_sigterm() -> Callable[[], None]:
    """Make SIGTERM raise :class:`RunInterrupted` like Ctrl-C does; returns the undo function.

    Only the main thread can install signal handlers, so tools call this, not library code.
    """

    def handler(signum: int, frame) -> None:  # noqa: ARG001 (signal handler signature)
        raise RunInterrupted(signum)

    previous = signal.signal(signal.SIGTERM, handler)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def is_scribble_file(path: str | os.PathLike[str]) -> bool:
    """True for a scribble mask file name (``*_scribble.png``, any case)."""
    return Path(path).name.lower().endswith(SCRIBBLE_SUFFIX)


def train_reference_folder(
    train_folder: str | os.PathLike[str],
    cfg: Config,
    checkpoint: str | os.PathLike[str],
    *,
    iters: int,
    max_pixels: int | None = None,
    limit: int | None = None,
    device: str = 'cpu',
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
    log: Callable[[str], None] | None = print,
):
    """Reference-image mode: train the config's backbone over a folder's images, save it.

    Args:
        train_folder: images to train on (``*_scribble.png`` masks are left out).
        cfg: the DynaSeg config; its backbone, loss, optimiser, seed and ``model.reference``
            (``max_pixels``: the training/inference scale) are used.
        checkpoint: where the plain state_dict goes (loadable with ``weights_only=True``).
        iters: SGD steps; the images are cycled in a seeded, reshuffled order.
        max_pixels: training size cap; default ``model.reference.max_pixels``.
        limit: train on an evenly spaced subset of this many images (None = all).
        device: ``'cpu'`` or ``'cuda'``.
        max_image_pixels: larger images are refused.
        log: progress lines (every 10% of the iterations), or None.

    Returns:
        The trained segmentor (in reference mode) and its
        :class:`~dynaseg.engine.reference_mode.ReferenceTrainRecord`.
    """
    from dynaseg.engine.reference_mode import save_reference_checkpoint

    images, _ = list_images(train_folder)
    images = [p for p in images if not is_scribble_file(p)]
    if limit is not None and 0 < limit < len(images):
        images = [images[i] for i in np.linspace(0, len(images) - 1, limit).round().astype(int)]
    if not images:
        raise ValueError(f'no training images in {str(train_folder)!r}')
    # The checkpoint is this function's output: never load one the config names.
    cfg = copy.deepcopy(cfg)
    cfg.model.reference = dict(cfg.model.get('reference', {}), checkpoint=None)
    model = cast('DynaSeg', build_segmentor(cfg, device))
    tensors = [image_to_tensor(load_image(p, max_pixels=max_image_pixels), model) for p in images]
    every = max(1, iters // 10)

    def report(it: int, loss: float, q: int) -> None:
        if log is not None and (it % every == 0 or it == iters):
            log(f'iter {it}/{iters}: loss {loss:.4f}, {q} labels')

    record = model.train_reference(tensors, iters, max_pixels, on_iteration=report)
    save_reference_checkpoint(model.backbone, checkpoint)
    if log is not None:
        log(
            f'trained on {len(images)} images, {iters} iterations in {record.seconds:.1f} s; '
            f'checkpoint {checkpoint}'
        )
    return model, record
