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

from collections.abc import Iterator, Sequence
from pathlib import Path

import higra as hg
import numpy as np
from skimage.segmentation import felzenszwalb

from dynaseg.utils.fileio import atomic_write, load_label_map
from dynaseg.utils.image_io import load_image

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


#: The rows of ``tools/hierarchy_baselines.py``, each written per image by :func:`image_output`.
METHODS = ('fh-set', 'colour-tree', 'watershed-colour')
#: FH's fine regions, the leaves of ``colour-tree --leaves fh``: the finest scale of the set.
FH_LEAVES = dict(scale=100.0, sigma=0.8, min_size=100)


def leaves_of(leaves: str, img_id: str, rgb: np.ndarray) -> np.ndarray:
    if leaves == 'fh':
        scale, sigma, min_size = FH_LEAVES['scale'], FH_LEAVES['sigma'], FH_LEAVES['min_size']
        return fh_segmentation_set(rgb, [scale], sigma, int(min_size))[0]
    path = Path(leaves) / f'{img_id}.png'
    if not path.is_file():
        raise FileNotFoundError(f'no leaves label map {path}')
    return load_label_map(path)


def image_output(method: str, img_id: str, rgb: np.ndarray, leaves: str) -> dict[str, np.ndarray]:
    """What ``method`` writes for one image: ``segs`` or ``ucm2``."""
    if method == 'fh-set':
        return {'segs': np.stack(fh_segmentation_set(rgb)).astype(np.uint16) + 1}
    if method == 'colour-tree':
        return {'ucm2': colour_hierarchy(leaves_of(leaves, img_id, rgb), rgb).ucm2()}
    return {'ucm2': watershed_colour_hierarchy(rgb).ucm2()}


def write_image_outputs(
    method: str, images: Sequence[Path], out: Path, leaves: str = 'fh'
) -> Iterator[tuple[int, str]]:
    """Write ``<out>/<id>.npz`` (:func:`image_output`) for each image, all or nothing; yields
    (position from 1, id) of each one written. Resumable: an image whose file exists is
    skipped."""
    out.mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(images, 1):
        target = out / f'{path.stem}.npz'
        if target.exists():
            continue
        output = image_output(method, path.stem, load_image(path), leaves)
        with atomic_write(target, 'wb') as handle:
            np.savez_compressed(handle, **output)  # type: ignore[arg-type]  # numpy stub: ** may fill allow_pickle
        yield index, path.stem
