"""Each tune setting against one setting of the same search (``--paired-with``), paired on the
same images.

A tuning table ranks settings by their pooled scores, but on 50 images two settings 0.01 apart
may be the same setting. ``tools/tune.py --paired-with NAME`` adds a second table: for every
other setting, the paired bootstrap interval of (setting - NAME) in each of Kim's modes,
computed on the images both scored (:func:`dynaseg.evaluation.comparison.paired_difference`),
and NAME's seconds per image over the setting's (the speed-up on the same machine).

A setting shows **no loss** when no interval lies wholly below 0: whatever the images drawn,
the data cannot tell it from NAME, or it is better. That is the rule a faster setting must
pass to replace the default (docs/log/speed.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dynaseg.evaluation.bootstrap import BootstrapInterval
from dynaseg.evaluation.comparison import MODES, common_images, paired_difference
from dynaseg.reports.provenance import fmt
from dynaseg.reports.results import RunResult
from dynaseg.reports.tables import difference_text, escape, markdown_row

__all__ = ['PairedRow', 'paired_rows', 'render_paired']


@dataclass(frozen=True)
class PairedRow:
    """One setting against ``paired_with``: per-mode intervals of (setting - paired_with)."""

    name: str
    images: int
    differences: dict[str, BootstrapInterval]
    speedup: float | None  # paired_with s/image / this setting's s/image

    @property
    def no_loss(self) -> bool:
        """No mode's interval lies wholly below 0."""
        return all(d.high >= 0 for d in self.differences.values())

    def to_dict(self) -> dict:
        return dict(
            name=self.name,
            images=self.images,
            speedup=self.speedup,
            no_loss=self.no_loss,
            differences={m: vars(d) for m, d in self.differences.items()},
        )


def _seconds(rows: Sequence[dict], ids: set[str]) -> float | None:
    values = [r['seconds'] for r in rows if r['img_id'] in ids and r.get('seconds') is not None]
    return sum(values) / len(values) if values else None


def paired_rows(
    results: Mapping[str, RunResult], paired_with: str, resamples: int = 2000
) -> list[PairedRow]:
    """Every setting of ``results`` (name -> its results, in the search's order) but
    ``paired_with``, paired with it; settings (or a ``paired_with``) with no scored image
    are left out."""
    base = results[paired_with].scored_rows()
    if not base:
        return []
    out = []
    for name, result in results.items():
        rows = result.scored_rows() if name != paired_with else []
        if not rows:
            continue
        try:
            diffs = {m: paired_difference(rows, base, m, resamples) for m in MODES}
        except ValueError:  # no image in common (yet)
            continue
        ids = set(common_images(rows, base))  # the images the intervals are computed on
        mine, theirs = _seconds(rows, ids), _seconds(base, ids)
        speedup = theirs / mine if mine and theirs else None
        out.append(PairedRow(name, diffs[MODES[0]].num_images, diffs, speedup))
    return out


def render_paired(rows: Sequence[PairedRow], paired_with: str, resamples: int) -> str:
    """The Markdown section of the paired table ('' without rows)."""
    if not rows:
        return ''
    lines = [
        '',
        f'## Paired against `{paired_with}`',
        '',
        f'Setting minus `{paired_with}` in Kim mIoU per mode, on the images both scored, with '
        f'95% paired bootstrap intervals ({resamples} resamples of images, seed 0); speed-up = '
        f"`{paired_with}`'s seconds per image over the setting's, on those images. No loss: no "
        'interval wholly below 0.',
        '',
        '| setting | images | ' + ' | '.join(MODES) + ' | speed-up | no loss |',
        '| --- | ---: | ' + ' | '.join('---:' for _ in MODES) + ' | ---: | --- |',
    ]
    for row in rows:
        cells = [row.name, str(row.images), *(difference_text(row.differences[m]) for m in MODES)]
        speedup = f'{fmt(row.speedup, 2)}x' if row.speedup else 'n/a'
        cells += [speedup, 'yes' if row.no_loss else 'no']
        lines.append(markdown_row([escape(c) for c in cells]))
    return '\n'.join(lines) + '\n'
