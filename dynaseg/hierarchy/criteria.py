"""The merge criterion: which adjacent regions merge first. The part of the hierarchy that is
DynaSeg's own; the trees themselves are higra's.

A boundary between two regions gets a dissimilarity from what the optimisation learned, the
distance between the regions' mean (unit-length) response vectors (the network was fitted to
make one segment's pixels respond alike), optionally plus image evidence along the boundary,
the mean Lab colour difference across it. The tree is then a watershed hierarchy of the region
adjacency graph under those dissimilarities (Najman, Cousty, Perret, "Playing with Kruskal",
ISMM 2013): regions are ranked by an attribute of the basins they would form and the least
important basin merges first.

- ``'volume'`` (area x depth): a small region, or a large one barely distinct from its
  neighbour, merges early; a large, distinct one survives to the coarse levels.
- ``'area'``: size alone; ``'dynamics'``: contrast alone; ``'single'``: single linkage on the
  dissimilarities, with no attribute (the specks a DynaSeg map holds then survive to the top).

Features other than the response (``features='colour'``: the regions' mean Lab colour) give the
same machinery without DynaSeg, the ablation that shows what the optimisation adds to the tree.
"""

from __future__ import annotations

import cv2
import higra as hg
import numpy as np
from skimage.color import rgb2lab

from dynaseg.registry import MODELS

from .regions import RegionGraph
from .tree import RegionHierarchy

#: higra's watershed hierarchies by attribute, and single linkage.
TREES = ('volume', 'area', 'dynamics', 'single')
FEATURES = ('response', 'colour')
#: Lab differences are divided by this, so one unit is about one just-noticeable step x 10.
LAB_UNIT = 10.0


def lab_image(rgb: np.ndarray, sigma: float) -> np.ndarray:
    """(H, W, 3) float Lab of an RGB uint8 image, Gaussian-smoothed first when ``sigma`` > 0."""
    smoothed = cv2.GaussianBlur(rgb, (0, 0), sigma) if sigma > 0 else rgb
    return rgb2lab(smoothed)


@MODELS.register_module()
class MergeHierarchy:
    """Builds the region hierarchy of one label map (a segmentor's ``model.hierarchy``).

    Args:
        tree: ``'volume'`` (default), ``'area'``, ``'dynamics'`` or ``'single'`` (module doc).
        features: ``'response'``: the optimisation's response (DynaSeg); ``'colour'``: mean
            Lab colour (any segmentor).
        colour_weight: weight of the mean Lab colour difference across each boundary added to
            the feature distance (0: none).
        colour_sigma: Gaussian smoothing (pixels) of the image before that difference.
        unit_response: scale each pixel's response vector to unit length before averaging
            (the regions then differ by the direction of their response, not its size: on
            val this ordered merges better, docs/log/hierarchy.md).
        log_scale: the levels of the saved hierarchy are spread by
            :func:`~.tree.log_levels` with this scale (None: linear in the attribute); no cut
            changes, only the level that reaches it.
    """

    def __init__(
        self,
        tree: str = 'volume',
        features: str = 'response',
        colour_weight: float = 0.0,
        colour_sigma: float = 1.0,
        unit_response: bool = True,
        log_scale: float | None = 1e-4,
    ) -> None:
        if tree not in TREES:
            raise ValueError(f'tree must be one of {TREES}, got {tree!r}')
        if features not in FEATURES:
            raise ValueError(f'features must be one of {FEATURES}, got {features!r}')
        if colour_weight < 0 or colour_sigma < 0:
            raise ValueError('colour_weight and colour_sigma must be >= 0')
        self.tree = tree
        self.features = features
        self.colour_weight = float(colour_weight)
        self.colour_sigma = float(colour_sigma)
        self.unit_response = bool(unit_response)
        if log_scale is not None and log_scale <= 0:
            raise ValueError(f'log_scale must be > 0 or None, got {log_scale}')
        self.log_scale = log_scale

    @property
    def needs_response(self) -> bool:
        """Whether the segmentor must hand over its response (DynaSeg only)."""
        return self.features == 'response'

    def __call__(
        self, labels: np.ndarray, rgb: np.ndarray, response: np.ndarray | None = None
    ) -> RegionHierarchy:
        """The hierarchy over the connected regions of ``labels`` (H, W).

        Args:
            rgb: (H, W, 3) uint8 image.
            response: (H, W, C) per-pixel response at the image's size; required when
                :attr:`needs_response`.
        """
        graph = RegionGraph.from_labels(labels)
        if rgb.shape[:2] != graph.shape:
            raise ValueError(f'image {rgb.shape[:2]} and labels {graph.shape} differ in size')
        weights = self.boundary_weights(graph, rgb, response)
        if self.tree == 'single':
            return RegionHierarchy.from_boundary_weights(graph, weights, log_scale=self.log_scale)
        build = getattr(hg, f'watershed_hierarchy_by_{self.tree}')
        if self.tree == 'dynamics':
            tree, altitudes = build(graph.rag, weights)
        else:
            tree, altitudes = build(graph.rag, weights, vertex_area=graph.region_sizes())
        return RegionHierarchy.from_tree(graph, tree, altitudes, log_scale=self.log_scale)

    def boundary_weights(
        self, graph: RegionGraph, rgb: np.ndarray, response: np.ndarray | None
    ) -> np.ndarray:
        """(B,) dissimilarity of the two regions of every boundary (module doc)."""
        if self.features == 'response':
            features, scale = self._response_features(graph, response)
        else:
            features, scale = lab_image(rgb, self.colour_sigma), LAB_UNIT
        means = graph.region_means(features)
        sources, targets = graph.boundary_pairs()
        weights = np.linalg.norm(means[sources] - means[targets], axis=1) / scale
        if self.colour_weight > 0:
            # Lab only where it is read: the default (response, no colour step) never converts.
            lab = features if self.features == 'colour' else lab_image(rgb, self.colour_sigma)
            colour_step = graph.boundary_means(graph.pixel_edge_weights(lab)) / LAB_UNIT
            weights = weights + self.colour_weight * colour_step
        return weights

    def _response_features(
        self, graph: RegionGraph, response: np.ndarray | None
    ) -> tuple[np.ndarray, float]:
        """The per-pixel response vectors the regions are compared by, and their distance unit."""
        if response is None:
            raise ValueError("features='response' needs the segmentor's response")
        if response.shape[:2] != graph.shape:
            raise ValueError(
                f'response {response.shape[:2]} and labels {graph.shape} differ in size'
            )
        features = np.asarray(response, np.float32)
        if not self.unit_response:
            return features, float(np.sqrt(features.shape[-1]))  # a per-channel RMS distance
        norms = np.sqrt(np.einsum('hwc,hwc->hw', features, features))[..., None]
        return features / np.maximum(norms, 1e-12), 1.0
