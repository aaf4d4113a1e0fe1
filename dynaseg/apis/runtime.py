"""What a long run needs around its work: signals, stops, progress, failure reasons, ranks."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from dynaseg.utils.image_io import ImageReadError
from dynaseg.utils.printing import printable

from .summary import FolderSummary, ImageOutcome

if TYPE_CHECKING:
    from dynaseg.utils.fileio import OutputStorageError

__all__ = [
    'EXIT_OUTPUT_STOPPED',
    'Progress',
    'RunInterrupted',
    'RunStopped',
    'gather',
    'interrupt_on_sigterm',
    'one_line',
]

#: Exit code of a folder run stopped by a write error every further image would hit too
#: (a full disk, a read-only output, a permission error): distinct from 1 (some images
#: failed) and 2 (bad arguments or folders, before any work).
EXIT_OUTPUT_STOPPED = 3

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


class RunStopped(RuntimeError):
    """A folder run stopped at the first write error that would repeat for every image.

    ``str()`` is the one line to print: the cause and the images done; ``summary`` holds this
    worker's outcomes until the stop. Every image written before it is complete, the image in
    hand left no partial outputs, and a rerun (once the cause is fixed) resumes.
    """

    exit_code = EXIT_OUTPUT_STOPPED

    def __init__(self, error: OutputStorageError, summary: FolderSummary) -> None:
        done = len(summary.done)
        super().__init__(
            f'stopped: {printable(str(error))}; {done} image{"" if done == 1 else "s"} done in '
            'this run, rerun to resume once the output can be written'
        )
        self.error = error
        self.summary = summary


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


def one_line(err: BaseException) -> str:
    """A one-line, printable reason for a failed image (ImageReadError already names the
    file)."""
    if isinstance(err, ImageReadError):
        return printable(err.reason)
    message = ' '.join(str(err).split())
    return printable(f'{type(err).__name__}: {message}' if message else type(err).__name__)


class Progress:
    """Progress over images: a tqdm bar on a terminal, else one line per segmented image.

    A bar redraws with carriage returns, which turn a log file into one huge line; a log gets
    ``[k/N] stem: done, L labels, I iterations, S s`` instead.
    """

    def __init__(self, total: int, enabled: bool, stream: TextIO | None = None) -> None:
        from tqdm import tqdm

        stream = stream or sys.stderr  # where tqdm draws
        interactive = enabled and stream.isatty()
        self.lines = enabled and not interactive
        self.bar = tqdm(
            total=total, unit='img', disable=not interactive, file=stream, dynamic_ncols=True
        )
        self.total = total
        self.count = 0
        self._last = 0.0
        self.stem = ''

    def start(self, stem: str) -> None:
        """A new image: name it and show its first label count at once."""
        self.stem, self._last = printable(stem), 0.0
        self.bar.set_description_str(self.stem)
        self.bar.set_postfix_str('')

    def write(self, message: str) -> None:
        """A line of text to stdout (above the bar, if one is drawn), its names escaped."""
        self.bar.write(printable(message))

    def on_iteration(self, iteration: int, num_labels: int) -> None:
        now = time.monotonic()
        if now - self._last >= _PROGRESS_REFRESH_SECONDS:
            self._last = now
            self.bar.set_postfix_str(f'{self.stem}: iter {iteration}, {num_labels} labels')

    def finished(self, outcome: ImageOutcome) -> None:
        """One image is through (done, skipped, failed or another worker's)."""
        self.count += 1
        self.bar.update()
        if self.lines and outcome.status == 'done':
            self.write(
                f'[{self.count}/{self.total}] {outcome.stem}: done, {outcome.num_labels} labels, '
                f'{outcome.iterations} iterations, {outcome.seconds:.2f} s'
            )

    def close(self) -> None:
        self.bar.close()


def gather(outcomes: list[ImageOutcome], world_size: int) -> list[ImageOutcome]:
    if world_size == 1:
        return outcomes
    from mmengine.dist import all_gather_object

    return [o for part in all_gather_object(outcomes) for o in part]
