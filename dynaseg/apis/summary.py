"""What happened to each image of a run, the run's summary line and its exit code."""

from __future__ import annotations

from dataclasses import dataclass, field

from dynaseg.utils.printing import printable

__all__ = ['EXIT_LEFT_TO_OTHERS', 'FolderSummary', 'ImageOutcome']

#: Exit code of a folder run that left images to live claims of other workers (sharing the
#: output folder): they may finish them, or may never, so the folder is not known to be done.
#: Rerun (or wait for the others) to finish it; a scheduler must not read it as success.
EXIT_LEFT_TO_OTHERS = 4


@dataclass
class ImageOutcome:
    """What happened to one input image (picklable, so ranks can gather them)."""

    image: str
    stem: str
    #: 'done' | 'skipped' (its outputs are there, made from this input with this config) |
    #: 'failed' | 'other' (another worker sharing the folder did it during this run) |
    #: 'held' (left to another worker's live claim: not known to be done) | 'recut' (done
    #: before; its label map rewritten as another cut of its saved hierarchy)
    status: str
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
    def recut(self) -> list[ImageOutcome]:
        """Finished images whose label map was re-cut from their saved hierarchy."""
        return self._with('recut')

    @property
    def failed(self) -> list[ImageOutcome]:
        return self._with('failed')

    @property
    def other(self) -> list[ImageOutcome]:
        """Images another worker sharing the output folder did (see :mod:`.claims`)."""
        return self._with('other')

    @property
    def held(self) -> list[ImageOutcome]:
        """Images left to live claims of other workers: this run cannot say they are done."""
        return self._with('held')

    @property
    def mean_seconds(self) -> float | None:
        """Mean wall time of the images segmented in this run (None if none were)."""
        done = self.done
        return sum(o.seconds for o in done) / len(done) if done else None

    @property
    def exit_code(self) -> int:
        """0 every image done; 1 some failed (listed); :data:`EXIT_LEFT_TO_OTHERS`
        some left to other workers' live claims (first: the folder is not finished)."""
        if self.held:
            return EXIT_LEFT_TO_OTHERS
        return 1 if self.failed else 0

    def format(self, interrupted: str | None = None) -> str:
        """Human-readable summary: counts, mean time, then one line per failure."""
        mean = self.mean_seconds
        lines = [
            f'{"Interrupted by " + interrupted + ": " if interrupted else ""}'
            f'{len(self.done)} done, {len(self.skipped)} skipped (already done), '
            f'{len(self.failed)} failed, {len(self.not_images)} not images'
            + (f', {len(self.recut)} re-cut from their hierarchies' if self.recut else '')
            + (f', {len(self.other)} by other workers' if self.other else '')
            + (f', {len(self.held)} left to live claims of other workers' if self.held else '')
            + (f'; {mean:.2f} s per image' if mean is not None else '')
        ]
        if self.failed:
            lines.append('Failed images:')
            lines += [f'  {printable(o.image)}: {printable(o.reason)}' for o in self.failed]
        if self.held:
            lines.append('Left to other workers (rerun once they are gone, or wait for them):')
            lines += [f'  {printable(o.image)}: {printable(o.reason)}' for o in self.held]
        return '\n'.join(lines)
