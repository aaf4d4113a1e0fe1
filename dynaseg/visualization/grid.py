"""Side-by-side comparison panels (image, prediction, ground truth, ...) in one picture."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..utils.image_io import as_rgb_uint8

__all__ = ['make_grid']

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_MIN_FONT_SCALE = 0.3


def make_grid(
    rows: Sequence[Sequence[np.ndarray]],
    titles: Sequence[str] | None = None,
    pad: int = 4,
    background: int = 255,
) -> np.ndarray:
    """Arrange panels in rows and columns on a plain background, with optional column titles.

    Every panel is resized (nearest neighbour, so label colours stay exact) to the tallest
    panel's height, keeping its aspect ratio. Each column is as wide as its widest panel, so
    columns line up across rows; rows may have different lengths.

    Args:
        rows: rows of panels, each (H, W, 3) RGB or anything
            :func:`~dynaseg.utils.image_io.as_rgb_uint8` takes (colourise label maps first).
        titles: one title per column (as many as the longest row), drawn above the columns;
            shrunk or shortened to fit. OpenCV's font is ASCII, other characters become ``?``.
        pad: gap in pixels between and around panels.
        background: grey level of the gaps.

    Returns:
        (H_grid, W_grid, 3) uint8 RGB.
    """
    if pad < 0:
        raise ValueError(f'pad must be >= 0, got {pad}')
    panels = [[as_rgb_uint8(panel) for panel in row] for row in rows]
    n_cols = max((len(row) for row in panels), default=0)
    if n_cols == 0:
        raise ValueError('make_grid needs at least one panel')
    if titles is not None and len(titles) != n_cols:
        raise ValueError(f'{len(titles)} titles for {n_cols} columns')

    height = max(panel.shape[0] for row in panels for panel in row)
    panels = [[_resize_to_height(panel, height) for panel in row] for row in panels]
    col_widths = [
        max((row[j].shape[1] for row in panels if j < len(row)), default=0) for j in range(n_cols)
    ]
    col_x = np.concatenate([[pad], pad + np.cumsum(np.asarray(col_widths) + pad)[:-1]])
    title_h = _title_height(height) if titles is not None else 0
    grid_w = int(sum(col_widths) + pad * (n_cols + 1))
    grid_h = int(title_h + len(panels) * (height + pad) + pad)
    grid = np.full((grid_h, grid_w, 3), background, np.uint8)

    for i, row in enumerate(panels):
        y = title_h + pad + i * (height + pad)
        for j, panel in enumerate(row):
            grid[y : y + height, col_x[j] : col_x[j] + panel.shape[1]] = panel
    if titles is not None:
        for j, title in enumerate(titles):
            _draw_title(grid, title, int(col_x[j]), col_widths[j], title_h)
    return grid


def _resize_to_height(panel: np.ndarray, height: int) -> np.ndarray:
    if panel.shape[0] == height:
        return panel
    width = max(1, round(panel.shape[1] * height / panel.shape[0]))
    return cv2.resize(panel, (width, height), interpolation=cv2.INTER_NEAREST)


def _title_height(panel_height: int) -> int:
    # Text about a tenth of the panel height, within readable bounds.
    return int(np.clip(panel_height // 10, 14, 40)) + 8


def _draw_title(grid: np.ndarray, title: str, x: int, width: int, band: int) -> None:
    """Draw ``title`` centred in the cell ``[0, band) x [x, x + width)``, never outside it."""
    text = ''.join(ch if 32 <= ord(ch) < 127 else '?' for ch in title)
    (_, unit_h), unit_base = cv2.getTextSize('Ag', _FONT, 1.0, 1)
    scale = (band - 6) / (unit_h + unit_base)  # ascent plus descent fill the band
    text_w = cv2.getTextSize(text, _FONT, scale, 1)[0][0]
    if text_w > width:
        scale = max(_MIN_FONT_SCALE, scale * width / text_w)
    while text and cv2.getTextSize(text, _FONT, scale, 1)[0][0] > width:
        text = text[:-2] + '.' if len(text) > 1 else ''
    (text_w, text_h), base = cv2.getTextSize(text, _FONT, scale, 1)
    origin = (x + max(0, (width - text_w) // 2), (band - text_h - base) // 2 + text_h)
    # Drawing on a view of the cell clips anything the font overshoots.
    cell = grid[:band, x : x + width]
    cv2.putText(cell, text, (origin[0] - x, origin[1]), _FONT, scale, (0, 0, 0), 1, cv2.LINE_AA)
