"""Classical segmenters as registered segmentors: the baselines DynaSeg is compared with.

Each class wraps the field's implementation (scikit-image, SciPy) and adds nothing to the method:
the image is handed over as 8-bit RGB, the labels come back as they are, renumbered 0..n-1. They
take the same configs, tools and runners as DynaSeg (segment a folder, evaluate a config, tune),
so a baseline row in a report went through exactly the code path of the DynaSeg rows beside it.
Their records say ``iterations=0`` and ``stop_reason='classical'``.

Parameter names are the wrapped functions' own, so their documentation applies unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from mmseg.structures import SegDataSample
from scipy.cluster.vq import kmeans2
from skimage.color import rgb2lab
from skimage.segmentation import felzenszwalb, quickshift, slic
from torch import Tensor

from dynaseg.engine import OptimizationRecord
from dynaseg.registry import MODELS

from .base import PerImageSegmentor


class ClassicalSegmentor(PerImageSegmentor):
    """A training-free segmenter of one RGB image; subclasses implement :meth:`label_rgb`.

    Args:
        seed: seed of the method's random choices (k-means, quickshift); unused otherwise.
        relabel: split disconnected regions of one label into separate segments.
        refine: refiners of the labels (``dynaseg/models/refiners.py``).
        data_preprocessor: as in the DynaSeg configs (``configs/_base_/models/
            data_preprocessor.py``); :meth:`segment` undoes its normalisation to recover the
            8-bit image. A refiner's classical segmentor needs none: it is handed RGB.

    ``pretrained``, ``train_cfg`` and ``test_cfg`` are accepted because mmseg's ``init_model``
    passes them; there is nothing to train.
    """

    def __init__(
        self,
        seed: int = 0,
        relabel: bool = False,
        refine: list[dict] | None = None,
        data_preprocessor: dict | None = None,
        pretrained: str | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | None = None,
    ) -> None:
        super().__init__(
            seed=seed,
            relabel=relabel,
            refine=refine,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )

    @property
    def q_max(self) -> int:
        """Classical segmenters take no scribbles: there is no label channel to guide."""
        raise ValueError(f'{type(self).__name__} takes no scribbles')

    def label_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """Labels (H, W) of an (H, W, 3) uint8 RGB image."""
        raise NotImplementedError

    def segment(
        self,
        image: Tensor,
        *,
        on_iteration: Callable[[int, int], None] | None = None,
        scribble: np.ndarray | Tensor | None = None,
    ) -> tuple[np.ndarray, OptimizationRecord]:
        """Label one normalised image (1, 3, H, W): labels (H, W) int64 from 0, and a record."""
        if scribble is not None:
            raise ValueError(f'{type(self).__name__} takes no scribbles')
        start = time.perf_counter()
        raw = self.label_rgb(self.to_rgb(image))
        # Renumber 0..n-1 in order of first value, whatever the wrapped function returned.
        labels = np.unique(raw, return_inverse=True)[1].reshape(raw.shape).astype(np.int64)
        labels = self.finish(labels, image)
        count = int(labels.max()) + 1
        if on_iteration is not None:
            on_iteration(0, count)
        record = OptimizationRecord(
            label_counts=[count],
            stop_reason='classical',
            seconds=time.perf_counter() - start,
        )
        return labels, record

    # mmseg's BaseSegmentor asks for these; a classical segmenter has no network to run.
    def loss(self, inputs: Tensor, data_samples: list[SegDataSample] | None = None) -> dict:
        raise NotImplementedError(f'{type(self).__name__} has no loss: nothing is trained')

    def extract_feat(self, inputs: Tensor) -> Tensor:
        raise NotImplementedError(f'{type(self).__name__} has no features')

    def encode_decode(self, inputs: Tensor, batch_img_metas: list[dict]) -> Tensor:
        raise NotImplementedError(f'{type(self).__name__} has no features')

    def _forward(self, inputs: Tensor, data_samples: list[SegDataSample] | None = None) -> Tensor:
        raise NotImplementedError(f'{type(self).__name__} has no features')


@MODELS.register_module()
class FelzenszwalbSegmentor(ClassicalSegmentor):
    """Felzenszwalb-Huttenlocher graph segmentation (``skimage.segmentation.felzenszwalb``).

    Args:
        scale: higher means larger segments; sigma: Gaussian pre-smoothing;
        min_size: smallest segment, enforced by merging in post-processing.
    """

    def __init__(
        self, scale: float = 300.0, sigma: float = 0.5, min_size: int = 30, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.scale, self.sigma, self.min_size = float(scale), float(sigma), int(min_size)

    def label_rgb(self, rgb: np.ndarray) -> np.ndarray:
        return felzenszwalb(
            rgb, scale=self.scale, sigma=self.sigma, min_size=self.min_size, channel_axis=-1
        )


@MODELS.register_module()
class SLICSegmentor(ClassicalSegmentor):
    """SLIC superpixels (``skimage.segmentation.slic``, k-means in Lab colour and position).

    Args:
        n_segments: approximate number of superpixels; compactness: colour against space
            (higher: squarer); sigma: Gaussian pre-smoothing.
    """

    def __init__(
        self, n_segments: int = 400, compactness: float = 10.0, sigma: float = 0.0, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.n_segments, self.compactness, self.sigma = (
            int(n_segments),
            float(compactness),
            float(sigma),
        )

    def label_rgb(self, rgb: np.ndarray) -> np.ndarray:
        return slic(
            rgb,
            n_segments=self.n_segments,
            compactness=self.compactness,
            sigma=self.sigma,
            start_label=0,
            channel_axis=-1,
        )


@MODELS.register_module()
class QuickshiftSegmentor(ClassicalSegmentor):
    """Quickshift mode seeking in Lab colour and position (``skimage.segmentation.quickshift``).

    Args:
        ratio: colour against space (0..1); kernel_size: width of the density kernel;
        max_dist: cut-off for linking points; sigma: Gaussian pre-smoothing. The seed drives
        the small random perturbation quickshift uses to break ties.
    """

    def __init__(
        self,
        ratio: float = 1.0,
        kernel_size: float = 5.0,
        max_dist: float = 10.0,
        sigma: float = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.ratio, self.kernel_size = float(ratio), float(kernel_size)
        self.max_dist, self.sigma = float(max_dist), float(sigma)

    def label_rgb(self, rgb: np.ndarray) -> np.ndarray:
        return quickshift(
            rgb,
            ratio=self.ratio,
            kernel_size=self.kernel_size,
            max_dist=self.max_dist,
            sigma=self.sigma,
            convert2lab=True,
            rng=self.seed,
            channel_axis=-1,
        )


@MODELS.register_module()
class KMeansSegmentor(ClassicalSegmentor):
    """k-means on Lab colour and pixel position (``scipy.cluster.vq.kmeans2``, k-means++ init).

    Each pixel is the vector (L, a, b, w * y, w * x), positions in pixels scaled so that the
    image's longer side spans 100 (the range of L), times ``position_weight`` w: 0 clusters
    colour alone; larger values give more compact, blob-like regions.

    Args:
        num_clusters: k; position_weight: w; iterations: k-means iterations.
    """

    def __init__(
        self,
        num_clusters: int = 8,
        position_weight: float = 0.5,
        iterations: int = 20,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if num_clusters < 1:
            raise ValueError(f'num_clusters must be >= 1, got {num_clusters}')
        self.num_clusters, self.position_weight = int(num_clusters), float(position_weight)
        self.iterations = int(iterations)

    def label_rgb(self, rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        lab = rgb2lab(rgb).reshape(-1, 3)
        ys, xs = np.mgrid[0:height, 0:width].reshape(2, -1) * (100.0 / max(height, width))
        features = np.column_stack([lab, self.position_weight * ys, self.position_weight * xs])
        _, labels = kmeans2(
            features,
            self.num_clusters,
            iter=self.iterations,
            minit='++',
            seed=np.random.default_rng(self.seed),
        )
        return labels.reshape(height, width)


@MODELS.register_module()
class GridSegmentor(ClassicalSegmentor):
    """A ``rows`` x ``cols`` grid of blocks: a calibration floor (1 x 1 is the blank prediction).

    It shows how much of a score segment count alone earns, with no look at the image.
    """

    def __init__(self, rows: int = 20, cols: int = 20, **kwargs) -> None:
        super().__init__(**kwargs)
        if rows < 1 or cols < 1:
            raise ValueError(f'rows and cols must be >= 1, got {rows} x {cols}')
        self.rows, self.cols = int(rows), int(cols)

    def label_rgb(self, rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        row = np.minimum(np.arange(height) * self.rows // height, self.rows - 1)
        col = np.minimum(np.arange(width) * self.cols // width, self.cols - 1)
        return row[:, None] * self.cols + col[None, :]
