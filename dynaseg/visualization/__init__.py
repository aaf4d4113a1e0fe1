"""Pictures of segmentations: colour palettes, overlays, comparison grids and training curves.

Everything here takes and returns plain ``uint8`` RGB arrays (or writes a PNG), so the
tools and notebooks can use it without an MMEngine visualiser or a display.
"""

from .grid import make_grid
from .history import plot_history
from .overlay import label_boundaries, overlay
from .palette import colorize_labels, palette

__all__ = ['colorize_labels', 'label_boundaries', 'make_grid', 'overlay', 'palette', 'plot_history']
