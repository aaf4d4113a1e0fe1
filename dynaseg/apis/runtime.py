"""What a long run needs around its work: signals, progress, failure reasons, gathering ranks."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from dynaseg.utils.image_io import ImageReadError

if TYPE_CHECKING:
    from .summary import FolderSummary, ImageOutcome

__all__ = ['Progress', 'RunInterrupted', 'gather', 'interrupt_on_sigterm', 'one_line']

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
    """A one-line reason for a failed image (ImageReadError already names the file)."""
    if isinstance(err, ImageReadError):
        return err.reason
    message = ' '.join(str(err).split())
    return f'{type(err).__name__}: {message}' if message else type(err).__name__


class Progress:
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
