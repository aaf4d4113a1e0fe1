"""Label refiners: a last step that snaps a segmentation to a classical over-segmentation.

DynaSeg's labels group pixels well, but their boundaries fray into many small fragments (about
950 connected components per BSDS500 image), and Kim et al.'s best-match score, which splits
every label into its connected components, penalises them. A fast classical over-segmentation
(Felzenszwalb-Huttenlocher, SLIC, ...) has clean boundaries but no grouping. A refiner combines
them, in two moves that can be chained:

- :class:`RegionVote`: every region of a *fine* over-segmentation takes its majority label, which
  removes the fragments and puts the label boundaries on image edges;
- :class:`RegionOverlay`: the labels are split along the boundaries of a *coarse*
  over-segmentation, which adds the strong edges DynaSeg merged across.

A segmentor applies ``model.refine`` (a list of refiner configs, applied in order; empty: none)
to its finished labels; the classical method is any segmentor of ``classical.py``, configured as
in ``configs/baselines/``.
"""

from __future__ import annotations

import numpy as np
from mmengine.registry import DefaultScope

from dynaseg.registry import MODELS


def majority_label(labels: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """The most frequent label of each region (ties: the smallest label), as a map (H, W).

    Args:
        labels: (H, W) non-negative integer labels.
        regions: (H, W) region ids 0..R-1.
    """
    labels = np.asarray(labels, np.int64)
    regions = np.asarray(regions, np.int64)
    if labels.shape != regions.shape:
        raise ValueError(f'labels {labels.shape} and regions {regions.shape} differ in shape')
    num_labels = int(labels.max()) + 1
    counts = np.bincount(
        (regions * num_labels + labels).ravel(),
        minlength=(int(regions.max()) + 1) * num_labels,
    ).reshape(-1, num_labels)
    return counts.argmax(axis=1)[regions]


def overlay(labels: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """One label per distinct (label, region) pair, numbered 0..n-1 in order of the pairs."""
    labels = np.asarray(labels, np.int64)
    regions = np.asarray(regions, np.int64)
    if labels.shape != regions.shape:
        raise ValueError(f'labels {labels.shape} and regions {regions.shape} differ in shape')
    pairs = labels * (int(regions.max()) + 1) + regions
    return np.unique(pairs, return_inverse=True)[1].reshape(labels.shape)


class RegionRefiner:
    """A refiner driven by the regions of a classical segmentor (see the module doc).

    Args:
        regions: config of a :class:`~dynaseg.models.segmentors.classical.ClassicalSegmentor`,
            for example ``dict(type='FelzenszwalbSegmentor', scale=100, sigma=0.5, min_size=20)``.
    """

    def __init__(self, regions: dict) -> None:
        # The segmentor's data preprocessor is mmseg's: it resolves in the dynaseg scope.
        with DefaultScope.overwrite_default_scope('dynaseg'):
            segmentor = MODELS.build(regions)
        # A classical segmentor labels an RGB image (``label_rgb``); duck-typed, so this module
        # needs no import of the segmentors, whose base builds the refiners.
        if not callable(getattr(segmentor, 'label_rgb', None)):
            raise TypeError(
                f'{type(self).__name__} regions must be a classical segmentor, '
                f'got {regions.get("type")!r}'
            )
        self.regions = segmentor

    def combine(self, labels: np.ndarray, regions: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, labels: np.ndarray, rgb: np.ndarray) -> np.ndarray:
        """Refined labels (H, W) of ``labels`` for the (H, W, 3) uint8 RGB image ``rgb``."""
        return self.combine(labels, self.regions.label_rgb(rgb))


@MODELS.register_module()
class RegionVote(RegionRefiner):
    """Every region of a classical over-segmentation takes its majority label.

    Fragments smaller than a region vanish and label boundaries move onto region boundaries;
    regions whose majority labels agree merge. The label set can only shrink.

    Use a finer setting than one would use on its own (``scale`` 50-100 for FH).
    """

    def combine(self, labels: np.ndarray, regions: np.ndarray) -> np.ndarray:
        return majority_label(labels, regions)


@MODELS.register_module()
class RegionOverlay(RegionRefiner):
    """Labels are split along the boundaries of a classical over-segmentation.

    The segments become the intersections of labels and regions, so the label set can only
    grow. Use a coarser setting than one would use on its own (``scale`` 600-1000 for FH).
    """

    def combine(self, labels: np.ndarray, regions: np.ndarray) -> np.ndarray:
        return overlay(labels, regions)


def build_refiners(configs: list[dict] | tuple[dict, ...] | None) -> list[RegionRefiner]:
    """The refiners of ``model.refine``, in order (None or empty: none)."""
    return [MODELS.build(dict(c)) for c in configs or ()]


def apply_refiners(
    refiners: list[RegionRefiner], labels: np.ndarray, rgb: np.ndarray
) -> np.ndarray:
    """``labels`` through every refiner in turn."""
    for refiner in refiners:
        labels = refiner(labels, rgb)
    return labels
