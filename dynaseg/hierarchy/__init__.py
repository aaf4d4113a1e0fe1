"""Region hierarchies: any granularity of one image from one optimisation (``tree.py``)."""

from .regions import RegionGraph
from .tree import RegionHierarchy

__all__ = ['RegionGraph', 'RegionHierarchy']
