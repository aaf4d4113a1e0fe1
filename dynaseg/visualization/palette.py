"""Distinct, deterministic colours for segment ids."""

from __future__ import annotations

import numpy as np

__all__ = ['colorize_labels', 'palette']

# Stepping the hue by the golden ratio's fractional part spreads any prefix of the sequence
# nearly evenly round the colour wheel, so the first few labels are always far apart.
_GOLDEN = 0.6180339887498949
# Alternating saturation/value separates hues that the sequence does bring close together.
_SAT_VAL = np.array([[0.85, 0.95], [0.55, 0.80], [0.95, 0.65]])
_MAX_COLOURS = 1 << 24
# Ids up to this are coloured by value, so one id has one colour in every picture of a run.
_MAX_VALUE_INDEXED = 1 << 16


def palette(n: int, seed: int = 0) -> np.ndarray:
    """``n`` distinct RGB colours, the same for the same ``(n, seed)``.

    Colour ``i`` does not depend on ``n``, so ``palette(5)`` is the start of ``palette(50)``
    (apart from the rare colour replaced to keep all ``n`` distinct).

    Args:
        n: number of colours, 0 <= n <= 2**24.
        seed: picks the starting hue.

    Returns:
        (n, 3) uint8, all rows different.
    """
    if not 0 <= n <= _MAX_COLOURS:
        raise ValueError(f'palette size must be in [0, {_MAX_COLOURS}], got {n}')
    offset = float(np.random.default_rng(seed).random())
    index = np.arange(n)
    hue = (offset + index * _GOLDEN) % 1.0
    sat_val = _SAT_VAL[index % len(_SAT_VAL)]
    colours = _hsv_to_rgb(hue, sat_val[:, 0], sat_val[:, 1])
    return _make_distinct(colours)


def _hsv_to_rgb(hue: np.ndarray, sat: np.ndarray, val: np.ndarray) -> np.ndarray:
    """(N,) hue, saturation, value in [0, 1] -> (N, 3) uint8 RGB."""
    sector = np.floor(hue * 6.0).astype(np.int64) % 6
    frac = hue * 6.0 - np.floor(hue * 6.0)
    p = val * (1.0 - sat)
    q = val * (1.0 - sat * frac)
    t = val * (1.0 - sat * (1.0 - frac))
    choices = np.stack(
        [
            np.stack([val, t, p], -1),
            np.stack([q, val, p], -1),
            np.stack([p, val, t], -1),
            np.stack([p, q, val], -1),
            np.stack([t, p, val], -1),
            np.stack([val, p, q], -1),
        ]
    )
    rgb = choices[sector, np.arange(len(hue))] if len(hue) else np.zeros((0, 3))
    return np.rint(rgb * 255.0).astype(np.uint8)


def _make_distinct(colours: np.ndarray) -> np.ndarray:
    """Replace repeated rows of (N, 3) uint8 (8-bit rounding makes some) by unused colours."""
    codes = (
        (colours[:, 0].astype(np.int64) << 16)
        | (colours[:, 1].astype(np.int64) << 8)
        | colours[:, 2]
    )
    _, first = np.unique(codes, return_index=True)
    repeated = np.setdiff1d(np.arange(len(codes)), first)
    if len(repeated) == 0:
        return colours
    used = set(codes[first].tolist())
    # An odd multiplier is a bijection modulo 2**24, so this walk visits every colour once
    # and scatters consecutive replacements across the cube.
    step = 0
    for row in repeated:
        while True:
            step += 1
            code = (step * 2654435761) % _MAX_COLOURS
            if code not in used:
                break
        used.add(code)
        codes[row] = code
    return np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], -1).astype(np.uint8)


def colorize_labels(labels: np.ndarray, colors: np.ndarray | None = None) -> np.ndarray:
    """Paint a label map, one colour per segment id; negative ids (unlabelled) are black.

    Without ``colors``, ids below 65536 are coloured by value with :func:`palette`, so the same
    id has the same colour in every picture; larger ids are ranked first.

    Args:
        labels: (H, W) integer segment ids.
        colors: optional (K, 3) uint8 colours, K greater than the largest id.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype.kind not in 'biu':
        raise ValueError(
            f'labels must be an (H, W) integer array, got {labels.shape} {labels.dtype}'
        )
    out = np.zeros(labels.shape + (3,), np.uint8)
    valid = labels >= 0
    if not valid.any():
        return out
    ids = labels[valid].astype(np.int64)
    if colors is not None:
        colors = np.asarray(colors)
        if colors.ndim != 2 or colors.shape[1] != 3 or colors.shape[0] <= ids.max():
            raise ValueError(f'colors must be (K, 3) with K > {ids.max()}, got {colors.shape}')
        out[valid] = colors.astype(np.uint8)[ids]
    elif ids.max() < _MAX_VALUE_INDEXED:
        out[valid] = palette(int(ids.max()) + 1)[ids]
    else:
        unique, rank = np.unique(ids, return_inverse=True)
        out[valid] = palette(len(unique))[rank]
    return out
