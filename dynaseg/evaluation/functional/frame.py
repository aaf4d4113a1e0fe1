"""The border frame: how often the outermost row / column of a label map differs from its inner
neighbour, against the same rate between interior neighbours.

Zero padding gives the convolutions a different input along the image border, and the
segmentation answers with a one-pixel frame segment: its outer rows and columns change label
against their neighbours far more often than interior rows and columns do. Replicate padding
removes the cause; these rates show whether a folder of label maps still has the frame.
"""

from __future__ import annotations

import numpy as np

__all__ = ['FRAME_SIDES', 'border_change_rates']

#: The four outer lines of a label map, and the interior baselines they are compared with.
FRAME_SIDES = ('top', 'bottom', 'left', 'right', 'interior rows', 'interior columns')


def border_change_rates(labels: np.ndarray) -> dict[str, float]:
    """Fraction of pixels of each outer line whose label differs from the adjacent inner line,
    and the mean of that fraction over all pairs of adjacent interior rows / columns.

    Args:
        labels: (H, W) label map with H, W >= 4 (so that an interior pair exists).
    Returns:
        one rate in [0, 1] per name of :data:`FRAME_SIDES`.
    """
    if labels.ndim != 2 or min(labels.shape) < 4:
        raise ValueError(f'need an (H, W) label map with H, W >= 4, got shape {labels.shape}')
    rows = labels[1:] != labels[:-1]  # (H-1, W): row r against row r+1
    cols = labels[:, 1:] != labels[:, :-1]  # (H, W-1)
    return {
        'top': float(rows[0].mean()),
        'bottom': float(rows[-1].mean()),
        'left': float(cols[:, 0].mean()),
        'right': float(cols[:, -1].mean()),
        'interior rows': float(rows[1:-1].mean()),
        'interior columns': float(cols[:, 1:-1].mean()),
    }
