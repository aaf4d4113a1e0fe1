"""Region hierarchies: any granularity of one image from one optimisation.

``regions.py``: the finest level, connected regions and their adjacency graph; ``tree.py``: the
tree, its cuts and its BSDS ucm2; ``criteria.py``: the merge criterion (registered builders, a
segmentor's ``model.hierarchy``).
"""

from .criteria import MergeHierarchy
from .regions import RegionGraph
from .tree import RegionHierarchy

__all__ = ['MergeHierarchy', 'RegionGraph', 'RegionHierarchy']
