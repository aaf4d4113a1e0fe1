"""Markdown table pieces shared by the reproduction reports and the tuning tables."""

from __future__ import annotations

from collections.abc import Sequence

from dynaseg.datasets.base import ScoreCell

from .provenance import fmt


def escape(text: str) -> str:
    """``text`` safe inside one Markdown table cell."""
    return text.replace('|', '\\|').replace('\n', ' ')


def markdown_row(cells: Sequence[str]) -> str:
    """``| a | b |``."""
    return '| ' + ' | '.join(cells) + ' |'


def score_text(cell: ScoreCell) -> str:
    """A dataset's score cell as printed: its values joined by `` / ``."""
    return ' / '.join(fmt(value, cell.digits, cell.scale) for value in cell.values)


def difference_text(d, digits: int = 4) -> str:
    """A paired difference and its interval, ``+0.0123 [+0.0045, +0.0201]`` ('n/a': None)."""
    if d is None:
        return 'n/a'
    return f'{d.value:+.{digits}f} [{d.low:+.{digits}f}, {d.high:+.{digits}f}]'


def run_cell(iterations: float | None, labels: float | None, seconds: float | None) -> str:
    """``<it> it, <labels> labels, <seconds> s``: a run's means per image."""
    digits = 1 if (seconds or 0) < 10 else 0
    return f'{fmt(iterations, 0)} it, {fmt(labels, 1)} labels, {fmt(seconds, digits)} s'
