"""A region hierarchy: nested, connected regions of one image, as a tree and as a UCM.

The tree is a binary partition tree over the connected regions of a label map
(:class:`~.regions.RegionGraph`): each inner node merges two adjacent regions at an altitude.
Altitudes are normalised to (0, 1], strictly increasing along every merge order, with 0 on the
leaves, so that:

- a **level** t in [0, 1] cuts the tree where every boundary weaker than or equal to t is gone
  (BSDS's convention for a UCM: ``regions = connected components of ucm2 <= t``);
- **exactly K regions** exist for every K from 1 to the number of leaves (each merge has its own
  altitude, so no two merges happen at one level).

The same tree is written as an ultrametric contour map in the BSDS convention, ``ucm2``: an
array (2H+1, 2W+1) on the Khalimsky grid, pixels at odd coordinates, the boundary between two
pixels between them, its value the level at which it disappears (Arbeláez et al., TPAMI 2011).
Any BSDS tool reads it, and :meth:`RegionHierarchy.from_ucm2` gives the tree back.
"""

from __future__ import annotations

from dataclasses import dataclass

import higra as hg
import numpy as np

from dynaseg.evaluation.functional.ucm import check_ucm2, ucm2_components, ucm2_segmentation
from dynaseg.utils.labels import in_raster_order

from .regions import RegionGraph


def strict_levels(tree: hg.Tree, altitudes: np.ndarray, *, rescale: bool = True) -> np.ndarray:
    """Altitudes mapped into (0, 1] (leaves 0), never lower than a child's, all distinct.

    A linkage can produce inversions (a parent below its child); the parent is raised to its
    highest child, so the tree is an ultrametric. The inner altitudes are then scaled affinely
    onto (0, 1], and ties are broken by a step of 1e-9 per rank of (altitude, node index) - a
    parent always after its children - so every merge has a level of its own and a cut at a
    round level is the cut of the raw altitudes. ``rescale=False`` keeps levels that are
    already in [0, 1] (a saved ucm2's), breaking ties by steps of 1e-12 only.
    """
    levels = np.asarray(altitudes, np.float64).copy()
    leaves = tree.num_leaves()
    levels[:leaves] = 0.0
    inner = np.arange(leaves, tree.num_vertices())
    if inner.size == 0:
        return levels
    # Each node raised to its highest child, from the leaves up (higra's sequential pass).
    levels = np.asarray(
        hg.accumulate_and_max_sequential(tree, levels, levels[:leaves], hg.Accumulators.max),
        np.float64,
    )
    step = 1e-9 if rescale else 1e-12
    room = 1.0 - step * (inner.size + 1)  # what the tie-break steps leave below 1
    low, high = float(levels[inner].min()), float(levels[inner].max())
    if not rescale:
        low, scale = 0.0, room
    else:
        scale = room / (high - low if high > low else 1.0)
    rank = np.empty(inner.size, np.int64)
    rank[np.lexsort((inner, levels[inner]))] = np.arange(inner.size)
    levels[inner] = (levels[inner] - low) * scale + step * (rank + 1)
    return levels


def log_levels(levels: np.ndarray, scale: float) -> np.ndarray:
    """Levels in [0, 1] spread by ``log(1 + level / scale) / log(1 + 1 / scale)`` (0 and 1 stay).

    A watershed hierarchy by volume does almost all its merges near 0 (the specks), so at the
    benchmark's evenly spaced thresholds most of its useful cuts would fall between the first
    two; this monotone map changes no cut, only which threshold reaches it.
    """
    if scale <= 0:
        raise ValueError(f'the log scale must be > 0, got {scale}')
    return np.log1p(np.asarray(levels, np.float64) / scale) / np.log1p(1.0 / scale)


@dataclass(frozen=True)
class Cut:
    """Which segmentation of a hierarchy a tool writes: exactly ``regions`` connected regions,
    or every boundary up to ``level`` gone, or (neither) the finest level.

    Raises:
        ValueError: both are set, ``regions`` < 1, or ``level`` outside [0, 1].
    """

    regions: int | None = None
    level: float | None = None

    def __post_init__(self) -> None:
        if self.regions is not None and self.level is not None:
            raise ValueError('give a number of regions or a level, not both')
        if self.regions is not None and self.regions < 1:
            raise ValueError(f'the number of regions must be >= 1, got {self.regions}')
        if self.level is not None and not 0.0 <= self.level <= 1.0:
            raise ValueError(f'the level must be in [0, 1], got {self.level}')

    @property
    def finest(self) -> bool:
        return self.regions is None and self.level is None

    def of(self, hierarchy: RegionHierarchy) -> np.ndarray:
        """The (H, W) labels 0..K-1 of this cut of ``hierarchy``, numbered in raster order
        (every cut of a :class:`RegionHierarchy` is, as :meth:`of_ucm2`'s are)."""
        return hierarchy.cut(regions=self.regions, level=self.level)

    def of_ucm2(self, ucm2: np.ndarray) -> np.ndarray:
        """This cut of the hierarchy a saved ``ucm2`` holds, without rebuilding its tree: the
        same labels as ``of(RegionHierarchy.from_ucm2(ucm2))``, at the cost of one threshold.

        Every merge of a saved hierarchy has a level of its own (:func:`strict_levels`), so its
        N leaves and N - 1 distinct positive levels give the threshold of any K directly: the
        cut keeping K regions removes the N - K weakest boundaries. A ucm2 whose levels tie (one
        not written by this package) is cut through its tree, which breaks the ties.

        Raises:
            ValueError: not a valid ucm2, or more regions asked than its finest level has.
        """
        ucm2 = check_ucm2(ucm2)
        if self.regions is None:
            return _threshold(ucm2, 0.0 if self.level is None else self.level)
        levels = np.unique(ucm2[ucm2 > 0])  # ascending: one per merge
        leaves = levels.size + 1
        if self.regions <= leaves:
            threshold = 0.0 if self.regions == leaves else float(levels[leaves - self.regions - 1])
            labels = _threshold(ucm2, threshold)
            if int(labels.max()) + 1 == self.regions:
                return labels
        # Tied levels (or too many regions asked, which the tree refuses): through the tree.
        return self.of(RegionHierarchy.from_ucm2(ucm2))

    def to_json(self) -> dict[str, int | float]:
        """``{'regions': K}``, ``{'level': t}`` or ``{}`` (the finest level), for records."""
        if self.regions is not None:
            return {'regions': self.regions}
        return {} if self.level is None else {'level': self.level}


def _threshold(ucm2: np.ndarray, threshold: float) -> np.ndarray:
    """The 4-connected regions of ``ucm2 <= threshold`` at the pixels, numbered in raster
    order (:func:`ucm2_segmentation`'s regions, renumbered once)."""
    return in_raster_order(ucm2_components(ucm2, threshold, connectivity=4))


@dataclass
class RegionHierarchy:
    """A binary partition tree over the connected regions of one image.

    Attributes:
        graph: the finest level: connected regions (4-connectivity) and their adjacency.
        tree: higra tree whose leaves are ``graph``'s regions.
        altitudes: (num_nodes,) level of every node, 0 on the leaves, in (0, 1] above
            (:func:`strict_levels`).
    """

    graph: RegionGraph
    tree: hg.Tree
    altitudes: np.ndarray

    @classmethod
    def from_boundary_weights(
        cls,
        graph: RegionGraph,
        boundary_weights: np.ndarray,
        *,
        normalise: bool = True,
        log_scale: float | None = None,
    ) -> RegionHierarchy:
        """Single-linkage tree of a RAG whose boundaries carry ``boundary_weights`` (B,); the
        levels as in :meth:`from_tree`.

        Any merge criterion that can be written as a dissimilarity per boundary, recomputed or
        not after each merge, ends here or in a higra linkage; see ``criteria.py``.
        """
        boundary_weights = np.asarray(boundary_weights, np.float64)
        if boundary_weights.shape != (graph.num_boundaries,):
            raise ValueError(
                f'need one weight per boundary ({graph.num_boundaries}), '
                f'got shape {boundary_weights.shape}'
            )
        tree, altitudes = hg.bpt_canonical(graph.rag, boundary_weights)
        return cls.from_tree(graph, tree, altitudes, normalise=normalise, log_scale=log_scale)

    @classmethod
    def from_tree(
        cls,
        graph: RegionGraph,
        tree: hg.Tree,
        altitudes: np.ndarray,
        *,
        normalise: bool = True,
        log_scale: float | None = None,
    ) -> RegionHierarchy:
        """Wrap a higra tree over ``graph``'s regions.

        ``normalise``: map the altitudes into (0, 1] with :func:`strict_levels`; False keeps
        them (they must already be levels, as a saved ucm2's are), ties broken all the same.
        ``log_scale``: then spread the levels with :func:`log_levels`.
        """
        if tree.num_leaves() != graph.num_regions:
            raise ValueError(
                f'the tree has {tree.num_leaves()} leaves for {graph.num_regions} regions'
            )
        altitudes = np.asarray(altitudes, np.float64)
        if any(
            tree.num_children(node) != 2 for node in range(tree.num_leaves(), tree.num_vertices())
        ):
            # A watershed hierarchy merges several regions at one altitude; the binary tree of
            # its saliency (ties in boundary order) has the same cuts at every level and one
            # merge per node, so every region count is a cut.
            saliency = hg.saliency(tree, altitudes, handle_rag=False)
            tree, altitudes = hg.bpt_canonical(graph.rag, saliency)
        levels = strict_levels(tree, altitudes, rescale=normalise)
        return cls(graph, tree, levels if log_scale is None else log_levels(levels, log_scale))

    @property
    def num_leaves(self) -> int:
        """Regions at the finest level."""
        return int(self.tree.num_leaves())

    def cut_regions(self, num_regions: int) -> np.ndarray:
        """(H, W) int64 labels 0..K-1 of the cut with exactly ``num_regions`` = K regions.

        Raises:
            ValueError: K < 1 or K > :attr:`num_leaves`.
        """
        if not 1 <= num_regions <= self.num_leaves:
            raise ValueError(
                f'cannot cut {num_regions} regions: the finest level has {self.num_leaves}'
            )
        explorer = hg.HorizontalCutExplorer(self.tree, self.altitudes)
        cut = explorer.horizontal_cut_from_num_regions(num_regions, at_least=True)
        return self._pixel_labels(np.asarray(cut.labelisation_leaves(self.tree, handle_rag=False)))

    def cut_level(self, level: float) -> np.ndarray:
        """(H, W) int64 labels of the cut at ``level`` in [0, 1]: boundaries <= level vanish.

        Raises:
            ValueError: ``level`` outside [0, 1].
        """
        if not 0.0 <= level <= 1.0:
            raise ValueError(f'level must be in [0, 1], got {level}')
        cut = hg.HorizontalCutExplorer(self.tree, self.altitudes).horizontal_cut_from_altitude(
            float(level)
        )
        return self._pixel_labels(np.asarray(cut.labelisation_leaves(self.tree, handle_rag=False)))

    def cut(self, *, regions: int | None = None, level: float | None = None) -> np.ndarray:
        """(H, W) labels of one cut: exactly ``regions`` regions, or at ``level``; neither: the
        finest level (the connected regions of the labels the tree was built from).

        Raises:
            ValueError: both are given, or either is out of range.
        """
        if regions is not None and level is not None:
            raise ValueError('give a number of regions or a level, not both')
        if regions is not None:
            return self.cut_regions(regions)
        return self.cut_level(0.0 if level is None else level)

    def _pixel_labels(self, leaf_labels: np.ndarray) -> np.ndarray:
        """Leaf labels -> (H, W) pixel labels renumbered 0..K-1 in raster order of first pixel."""
        return in_raster_order(leaf_labels[self.graph.regions]).astype(np.int64)

    def boundary_levels(self) -> np.ndarray:
        """(B,) level at which each boundary of the finest level disappears (the saliency)."""
        return np.asarray(
            hg.saliency(self.tree, self.altitudes, handle_rag=False), np.float64
        ).reshape(-1)

    def ucm2(self) -> np.ndarray:
        """(2H+1, 2W+1) float64 ultrametric contour map in the BSDS convention (module doc)."""
        pixel_edges = np.asarray(
            hg.rag_back_project_edge_weights(self.graph.rag, self.boundary_levels()), np.float64
        )
        # Edges inside a region map to no boundary; higra marks them with 0 already, but be
        # explicit: they never separate anything.
        pixel_edges = np.where(np.isfinite(pixel_edges), pixel_edges, 0.0)
        return np.asarray(
            hg.graph_4_adjacency_2_khalimsky(
                self.graph.pixels, pixel_edges, shape=self.graph.shape, add_extra_border=True
            ),
            np.float64,
        )

    @classmethod
    def from_ucm2(cls, ucm2: np.ndarray) -> RegionHierarchy:
        """The hierarchy a BSDS ``ucm2`` (2H+1, 2W+1) holds, its leaves the level-0 regions.

        Raises:
            ValueError: not a (2H+1, 2W+1) map of finite values in [0, 1] (:func:`check_ucm2`).
        """
        ucm2 = check_ucm2(ucm2)
        _, pixel_edges = hg.khalimsky_2_graph_4_adjacency(ucm2, extra_border=True)
        # The leaves are the benchmark's own cut at level 0, with this module's 4-connectivity.
        graph = RegionGraph.from_labels(ucm2_segmentation(ucm2, 0.0, connectivity=4))
        # Every pixel edge of one boundary carries the same level: the mean is that level.
        return cls.from_boundary_weights(graph, graph.boundary_means(pixel_edges), normalise=False)
