"""Classical rows for the hierarchy benchmark, made with the same machinery as DynaSeg's tree.

- :func:`fh_segmentation_set`: Felzenszwalb-Huttenlocher at a sweep of scales, evaluated as a
  set of segmentations, the way Arbeláez et al. (TPAMI 2011) evaluated it.
- :func:`colour_hierarchy`: :class:`~.criteria.MergeHierarchy` with ``features='colour'`` over
  given leaves (FH's fine regions, or DynaSeg's own finest level): the tree without what the
  optimisation learned, the ablation of DynaSeg's merge criterion.
- :func:`watershed_colour_hierarchy`: a watershed hierarchy by volume of the pixels under the
  Lab colour gradient (higra), a cheap hierarchy with no segmenter at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import higra as hg
import numpy as np
from skimage.segmentation import felzenszwalb

from .criteria import LAB_UNIT, MergeHierarchy, lab_image
from .regions import RegionGraph
from .tree import RegionHierarchy

#: FH's scales in the set: 12, evenly spaced in log from 100 to 8000 (sigma 0.8, min size 100).
FH_SCALES = tuple(float(s) for s in np.geomspace(100, 8000, 12).round(1))


def fh_segmentation_set(
    rgb: np.ndarray,
    scales: Sequence[float] = FH_SCALES,
    sigma: float = 0.8,
    min_size: int = 100,
) -> list[np.ndarray]:
    """FH's label maps of ``rgb`` at each of ``scales``, finest first."""
    return [
        felzenszwalb(rgb, scale=float(scale), sigma=sigma, min_size=min_size).astype(np.int64)
        for scale in scales
    ]


def colour_hierarchy(
    leaves: np.ndarray, rgb: np.ndarray, builder: MergeHierarchy | None = None
) -> RegionHierarchy:
    """The default's tree with mean Lab colour instead of the response, over ``leaves``."""
    if builder is None:
        builder = MergeHierarchy(features='colour')
    if builder.needs_response:
        raise ValueError("colour_hierarchy needs a builder with features='colour'")
    return builder(leaves, rgb)


def watershed_colour_hierarchy(
    rgb: np.ndarray, sigma: float = 1.0, log_scale: float | None = 1e-4
) -> RegionHierarchy:
    """Watershed hierarchy by volume of the pixels under the Lab colour gradient."""
    height, width = rgb.shape[:2]
    graph = RegionGraph.from_labels(np.arange(height * width).reshape(height, width))
    gradient = graph.pixel_edge_weights(lab_image(rgb, sigma)) / LAB_UNIT
    # Every pixel is its own region, so the RAG's edges are the pixel edges, in order.
    weights = graph.boundary_means(gradient)
    tree, altitudes = hg.watershed_hierarchy_by_volume(graph.rag, weights)
    return RegionHierarchy.from_tree(graph, tree, altitudes, log_scale=log_scale)
