"""What both DynaSeg segmentors share: the extractor config, the loss, the mmseg plumbing."""

from __future__ import annotations

import copy
import os
from abc import abstractmethod
from collections.abc import Callable

import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.structures import SegDataSample
from torch import Tensor, nn

from dynaseg.engine import DEFAULT_OPTIMIZER, EngineSettings, OptimizationRecord
from dynaseg.engine.weights import load_extractor_weights
from dynaseg.hierarchy import MergeHierarchy, RegionHierarchy
from dynaseg.models.losses import DynaSegLoss
from dynaseg.models.refiners import apply_refiners, build_refiners
from dynaseg.registry import MODELS
from dynaseg.utils.labels import relabel_connected_components

#: Keys of earlier versions whose setting now has one home: old key -> the key to set instead.
MOVED_KEYS = {
    'init_checkpoint': 'model.checkpoint',
    'backbone.checkpoint': 'model.checkpoint',
    'reference.checkpoint': 'model.checkpoint',
}


def refuse_moved_keys(model_cfg: dict) -> None:
    """Raise a one-line ValueError naming the new key when ``model_cfg`` sets a moved one."""
    for old, new in MOVED_KEYS.items():
        section, _, key = old.rpartition('.')
        holder = model_cfg.get(section) if section else model_cfg
        if isinstance(holder, dict) and key in holder:
            raise ValueError(f'model.{old} is no longer read: set {new} instead')


class PerImageSegmentor(BaseSegmentor):
    """A segmentor that labels each image on its own: ``segment`` one image, ``predict`` a batch.

    Every tool and runner drives segmentors through this interface, so DynaSeg and the classical
    baselines (``classical.py``) run through the same folder, dataset and tuning paths.

    Args:
        seed: seed of whatever is random per image (network initialisation, k-means).
        relabel: split disconnected regions of one label into separate segments.
        refine: refiner configs applied in order to the finished labels
            (``dynaseg/models/refiners.py``: snap them to a classical over-segmentation);
            None or empty: none.
        data_preprocessor: mmseg's ``SegDataPreProcessor``; images reach :meth:`segment`
            normalised by it.

    :attr:`hierarchy`: the builder of a region hierarchy over the finished labels
    (``dynaseg/hierarchy``), which :meth:`segment_hierarchy` returns beside them; None: none.
    It is the config's top-level ``hierarchy`` key, not a ``model`` key, set by
    :func:`dynaseg.apis.build_segmentor`: it never changes the labels, so the model config that
    records and reports compare stays the one that made them.
    """

    def __init__(
        self,
        seed: int = 0,
        relabel: bool = False,
        refine: list[dict] | None = None,
        data_preprocessor: dict | None = None,
        init_cfg: dict | None = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.seed = seed
        self.relabel = relabel
        self.refiners = build_refiners(refine)
        self.hierarchy: MergeHierarchy | None = None
        self.align_corners = False
        self.records: list[OptimizationRecord] = []

    @abstractmethod
    def segment(
        self,
        image: Tensor,
        *,
        on_iteration: Callable[[int, int], None] | None = None,
        scribble: np.ndarray | Tensor | None = None,
    ) -> tuple[np.ndarray, OptimizationRecord]:
        """Label one normalised image (1, 3, H, W): labels (H, W) int64 and the record."""

    def segment_hierarchy(
        self, image: Tensor, *, on_iteration: Callable[[int, int], None] | None = None
    ) -> tuple[np.ndarray, OptimizationRecord, RegionHierarchy]:
        """:meth:`segment`, and the region hierarchy over the labels' connected regions.

        Raises:
            ValueError: the model has no ``hierarchy``, or its builder needs a response this
                segmentor does not have.
        """
        if not self._hierarchy().needs_response:
            labels, record = self.segment(image, on_iteration=on_iteration)
            return labels, record, self.build_hierarchy(labels, image)
        labels, record, response = self.segment_keeping_response(image, on_iteration)
        return labels, record, self.build_hierarchy(labels, image, response)

    def build_hierarchy(
        self, labels: np.ndarray, image: Tensor, response: Tensor | None = None
    ) -> RegionHierarchy:
        """The region hierarchy of finished ``labels`` (what :meth:`segment_hierarchy` adds to
        :meth:`segment`): ``response`` (1, C, h, w) is the one the labels come from, needed when
        the builder reads it (:meth:`segment_keeping_response`)."""
        builder = self._hierarchy()
        if response is None:
            return builder(labels, self.to_rgb(image))
        # The labels are the argmax of the response resized bilinearly; the regions' features
        # are read from the same resized response.
        full = response.float()
        if tuple(full.shape[-2:]) != tuple(labels.shape):
            full = nn.functional.interpolate(
                full, size=labels.shape, mode='bilinear', align_corners=False
            )
        features = full[0].permute(1, 2, 0).cpu().numpy()
        return builder(labels, self.to_rgb(image), features)

    def _hierarchy(self) -> MergeHierarchy:
        """The hierarchy builder; ValueError (before any work) when the config sets none."""
        if self.hierarchy is None:
            raise ValueError(
                f'{type(self).__name__} builds no hierarchy: the config sets no `hierarchy` '
                "(e.g. hierarchy = dict(type='MergeHierarchy'))"
            )
        return self.hierarchy

    def segment_keeping_response(
        self, image: Tensor, on_iteration: Callable[[int, int], None] | None
    ) -> tuple[np.ndarray, OptimizationRecord, Tensor]:
        """:meth:`segment` and the response (1, C, h, w) its labels come from."""
        raise ValueError(
            f'{type(self).__name__} has no response to build a hierarchy from: use '
            "hierarchy.features='colour'"
        )

    def batch_unsupported_reason(self) -> str | None:
        """Why several images cannot be labelled together (None: :meth:`segment_batch` works)."""
        return f'{type(self).__name__} labels one image at a time'

    def to_rgb(self, image: Tensor) -> np.ndarray:
        """(1, 3, H, W) normalised -> (H, W, 3) uint8 RGB, inverting the data preprocessor."""
        mean: Tensor | None = getattr(self.data_preprocessor, 'mean', None)
        std: Tensor | None = getattr(self.data_preprocessor, 'std', None)
        if mean is None or std is None:
            raise ValueError(
                f'{type(self).__name__} was built without a data preprocessor that normalises '
                '(mean, std): build it from a config (configs/_base_/models/data_preprocessor.py)'
            )
        pixels = image[0].detach().to(std.device) * std + mean
        return pixels.permute(1, 2, 0).round().clamp(0, 255).byte().cpu().numpy()

    def finish(self, labels: np.ndarray, image: Tensor, *, guided: bool = False) -> np.ndarray:
        """The labels of ``image`` as returned: through the refiners, then split into connected
        components when ``relabel`` is set.

        The refiners change the label set, so they refine only the automatic labelling: labels
        that honour a contract with the user (``guided``: scribbles; or an exact segment count,
        :attr:`exact_count`) are returned unrefined.
        """
        if self.refiners and not guided and not self.exact_count:
            labels = apply_refiners(self.refiners, labels, self.to_rgb(image))
        return relabel_connected_components(labels) if self.relabel else labels

    @property
    def exact_count(self) -> bool:
        """Whether the labels must number exactly what the user asked for (no refining)."""
        return False

    def predict(
        self, inputs: Tensor, data_samples: list[SegDataSample] | None = None
    ) -> list[SegDataSample]:
        """Segment each image of the batch independently.

        mmseg's ``inference_model`` and mmengine's test loop call this under
        ``torch.no_grad()``; the engine re-enables gradients itself.
        """
        samples = data_samples or [SegDataSample() for _ in range(inputs.shape[0])]
        self.records = []
        for image, sample in zip(inputs, samples):
            height, width = sample.metainfo.get('img_shape', image.shape[-2:])
            labels, record = self.segment(image[None, :, :height, :width])
            labels_t = torch.from_numpy(labels.astype(np.int64))[None]
            ori_shape = sample.metainfo.get('ori_shape', (height, width))
            if tuple(ori_shape[:2]) != (height, width):
                labels_t = nn.functional.interpolate(
                    labels_t[None].float(), size=tuple(ori_shape[:2]), mode='nearest'
                )[0].long()
            sample.set_data({'pred_sem_seg': PixelData(data=labels_t)})
            sample.set_metainfo(
                {
                    'dynaseg_iterations': record.iterations,
                    'dynaseg_num_labels': record.num_labels,
                    'dynaseg_seconds': record.seconds,
                }
            )
            self.records.append(record)
        return samples


class DynaSegBase(PerImageSegmentor):
    """A DynaSeg extractor, its weights, loss, optimiser and engine settings; ``segment`` says
    how images are labelled.

    Args:
        backbone: feature-extractor config (``DynaSegCNN``, ``ResNetFPNExtractor``).
        loss: ``DynaSegLoss`` config, which holds the dynamic weight (SCF / FSF / fixed).
        optimizer: torch.optim config (SGD, lr 0.1, momentum 0.9).
        seed: seed of the extractor's initialisation; same seed, same labels.
        relabel: split disconnected regions of one label into separate segments.
        refine: refiners of the finished labels (see :class:`PerImageSegmentor`).
        checkpoint: optional local file of extractor weights (``dynaseg/engine/weights.py``):
            the network trained in reference-image mode, a warm start for every image's
            optimisation, or pretrained ResNet weights. Every extractor is built seeded, then
            loaded from it. A relative path is taken from the current directory when the
            segmentor is built.
        data_preprocessor: mmseg's ``SegDataPreProcessor``; Kim et al. scale pixels to [0, 1].
        **engine: the engine's options (``schedule``, ``num_segments``, ``precision``, ...),
            read once into :attr:`engine`, an :class:`~dynaseg.engine.EngineSettings`; a key
            this segmentor cannot honour is refused in one line (:attr:`one_pass`).

    ``pretrained``, ``train_cfg`` and ``test_cfg`` are accepted because mmseg's
    ``init_model`` passes them; DynaSeg has nothing to pretrain.
    """

    #: True for one forward pass per image: only the engine options it honours are accepted.
    one_pass = False

    def __init__(
        self,
        backbone: dict,
        loss: dict,
        optimizer: dict | None = None,
        seed: int = 0,
        relabel: bool = False,
        refine: list[dict] | None = None,
        checkpoint: str | None = None,
        data_preprocessor: dict | None = None,
        pretrained: str | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | None = None,
        **engine,
    ) -> None:
        refuse_moved_keys(dict(engine, backbone=backbone))
        self.engine = EngineSettings.from_config(engine, one_pass=self.one_pass)
        self.checkpoint = None if checkpoint is None else os.path.abspath(checkpoint)
        if self.checkpoint is not None and not os.path.isfile(self.checkpoint):
            raise FileNotFoundError(f'extractor checkpoint {self.checkpoint!r} does not exist')
        super().__init__(
            seed=seed,
            relabel=relabel,
            refine=refine,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        self.backbone_cfg = copy.deepcopy(backbone)
        # A resident copy gives the segmentor parameters (reference-image mode, mmseg's calls).
        self.backbone = MODELS.build(backbone)
        self._load_weights(self.backbone)
        self.loss_fn: DynaSegLoss = MODELS.build(loss)
        self.optimizer_cfg = dict(optimizer or DEFAULT_OPTIMIZER)

    def _load_weights(self, extractor: nn.Module) -> None:
        """Load the :attr:`checkpoint` weights into ``extractor``, when one is set."""
        if self.checkpoint is not None:
            load_extractor_weights(extractor, self.checkpoint)

    @property
    def exact_count(self) -> bool:
        return self.engine.num_segments is not None

    @property
    def q_max(self) -> int:
        """Response channels of the extractor: the most labels, the bound on scribble values."""
        return int(self.backbone.out_channels)

    def build_extractor(self) -> nn.Module:
        """A fresh extractor: random weights (seed it before calling), then :attr:`checkpoint`."""
        extractor = MODELS.build(copy.deepcopy(self.backbone_cfg))
        self._load_weights(extractor)
        return extractor

    def loss(self, inputs: Tensor, data_samples: list[SegDataSample] | None = None) -> dict:
        """The DynaSeg loss of the resident extractor on a batch, averaged over its images.

        The loss's per-image guides (edge-aware continuity, superpixel targets) are prepared
        from the batch itself, each image's from its own pixels.
        """
        out = self.loss_fn(self.backbone(inputs), context=self.loss_fn.prepare(inputs))
        return {'loss': out.loss.mean(), 'num_labels': out.num_labels.float().mean()}

    def extract_feat(self, inputs: Tensor) -> Tensor:
        return self.backbone(inputs)

    def encode_decode(self, inputs: Tensor, batch_img_metas: list[dict]) -> Tensor:
        return self.backbone(inputs)

    def _forward(self, inputs: Tensor, data_samples: list[SegDataSample] | None = None) -> Tensor:
        return self.backbone(inputs)
