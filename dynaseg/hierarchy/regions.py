"""The finest level of a hierarchy: an image's connected regions and their adjacency graph.

Every hierarchy here is built over the connected regions of a label map, with **4-connectivity**
(pixels join their left, right, upper and lower neighbours, never diagonal ones): the same rule
as Kim et al.'s relabelling (:func:`dynaseg.utils.labels.relabel_connected_components`), so the
finest level of a tree scores exactly as the label map it was built from.

The graphs are higra's (Perret et al., "Higra: Hierarchical Graph Analysis", SoftwareX 2019): a
4-adjacency graph on the pixels and the region adjacency graph (RAG) of the label map on it, with
higra's accumulators carrying pixel values to regions and pixel edges to region boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import higra as hg
import numpy as np
from scipy.sparse import csr_matrix


@dataclass
class RegionGraph:
    """The pixels' 4-adjacency graph and the region adjacency graph of one label map.

    Attributes:
        shape: (H, W) of the image.
        pixels: higra 4-adjacency graph of the H x W pixels.
        rag: region adjacency graph: one vertex per connected region (4-connectivity), one edge
            per pair of regions that share a boundary.
        regions: (H, W) int64 region id of every pixel, 0..R-1 (the RAG's vertex map).
    """

    shape: tuple[int, int]
    pixels: hg.UndirectedGraph
    rag: hg.UndirectedGraph
    regions: np.ndarray

    @classmethod
    def from_labels(cls, labels: np.ndarray) -> RegionGraph:
        """The connected regions of ``labels`` (H, W) and their adjacency graph."""
        labels = np.asarray(labels)
        if labels.ndim != 2 or labels.size == 0:
            raise ValueError(f'expected a non-empty (H, W) label map, got shape {labels.shape}')
        shape = (int(labels.shape[0]), int(labels.shape[1]))
        pixels = hg.get_4_adjacency_graph(shape)
        # higra's RAG joins neighbouring pixels of equal value: its vertices are exactly the
        # 4-connected components of each label.
        rag = hg.make_region_adjacency_graph_from_labelisation(pixels, labels.astype(np.int64))
        regions = np.asarray(hg.CptRegionAdjacencyGraph.get_vertex_map(rag)).reshape(shape)
        return cls(shape, pixels, rag, regions.astype(np.int64))

    @property
    def num_regions(self) -> int:
        return int(self.rag.num_vertices())

    @property
    def num_boundaries(self) -> int:
        return int(self.rag.num_edges())

    def region_sizes(self) -> np.ndarray:
        """(R,) pixel count of every region."""
        return np.bincount(self.regions.ravel(), minlength=self.num_regions).astype(np.float64)

    def region_means(self, values: np.ndarray) -> np.ndarray:
        """(R, C) mean of per-pixel ``values`` (H, W, C) or (H, W) over each region."""
        pixels = self.shape[0] * self.shape[1]
        flat = np.asarray(values)
        flat = flat.reshape(pixels, -1).astype(np.result_type(flat.dtype, np.float32), copy=False)
        # A sparse (R, H*W) membership matrix times the values: one pass over (H*W, C).
        members = csr_matrix(
            (np.ones(pixels, flat.dtype), (self.regions.ravel(), np.arange(pixels))),
            shape=(self.num_regions, pixels),
        )
        return np.asarray(members @ flat, np.float64) / self.region_sizes()[:, None]

    def pixel_edge_weights(self, values: np.ndarray) -> np.ndarray:
        """(E,) Euclidean distance between the ``values`` (H, W, C) of the two pixels of every
        pixel edge."""
        flat = np.asarray(values, np.float64).reshape(self.shape[0] * self.shape[1], -1)
        sources, targets = self.pixels.edge_list()
        diff = flat[sources] - flat[targets]
        return np.sqrt((diff * diff).sum(axis=1))

    def boundary_means(self, pixel_edge_values: np.ndarray) -> np.ndarray:
        """(B,) mean of a per-pixel-edge value along each region boundary (RAG edge)."""
        return np.asarray(
            hg.rag_accumulate_on_edges(
                self.rag, hg.Accumulators.mean, np.asarray(pixel_edge_values, np.float64)
            ),
            np.float64,
        ).reshape(-1)

    def boundary_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The two regions of each boundary: (B,) sources and (B,) targets."""
        sources, targets = self.rag.edge_list()
        return np.asarray(sources, np.int64), np.asarray(targets, np.int64)
