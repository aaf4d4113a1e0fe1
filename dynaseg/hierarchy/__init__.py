"""Region hierarchies: any granularity of one image from one optimisation.

``regions.py``: the finest level, connected regions and their adjacency graph; ``tree.py``: the
tree, its cuts and its BSDS ucm2; ``io.py``: its file; ``criteria.py``: the merge criterion
(registered builders, a
segmentor's ``model.hierarchy``).
"""

from .criteria import MergeHierarchy
from .io import load_hierarchy, load_ucm2, save_hierarchy
from .regions import RegionGraph
from .tree import Cut, RegionHierarchy

__all__ = [
    'Cut',
    'MergeHierarchy',
    'RegionGraph',
    'RegionHierarchy',
    'load_hierarchy',
    'load_ucm2',
    'save_hierarchy',
]
