"""DynaSeg as an MMSegmentation segmentor: ``predict`` optimises a fresh network per image."""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.structures import SegDataSample
from torch import Tensor, nn

from dynaseg.engine import (
    DEFAULT_OPTIMIZER,
    OptimizationRecord,
    Schedule,
    SilhouetteConfig,
    optimize_image,
)
from dynaseg.engine.reference_mode import load_reference_checkpoint, reference_segment
from dynaseg.models.losses import DynaSegLoss
from dynaseg.registry import MODELS


@MODELS.register_module()
class DynaSeg(BaseSegmentor):
    """Unsupervised segmentation by per-image optimisation (Kim et al. 2020; DynaSeg 2024).

    Args:
        backbone: feature-extractor config (``DynaSegCNN``, ``ResNetFPNExtractor``); a new
            one is built and seeded for every image.
        loss: ``DynaSegLoss`` config, which holds the dynamic weight (SCF / FSF / fixed).
        optimizer: mmengine optimiser config (SGD, lr 0.1, momentum 0.9).
        schedule: :class:`~dynaseg.engine.Schedule` fields (iterations, stopping, resolutions).
        silhouette: :class:`~dynaseg.engine.SilhouetteConfig` fields.
        seed: seed of every image's initialisation; same seed, same labels.
        relabel: split disconnected regions of one label into separate segments.
        channels_last, tune_allocator: speed switches of the engine (no effect on the method).
        data_preprocessor: mmseg's ``SegDataPreProcessor``; Kim et al. scale pixels to [0, 1].
        scribble: scribble guidance settings, ``dict(weight=0.5)`` (Kim's ``stepsize_scr``);
            masks are passed per image to :meth:`segment`.
        reference: reference-image mode, ``dict(checkpoint=None, max_pixels=40000,
            bn_stats='batch')``. With a ``checkpoint`` (from ``tools/train_reference.py``) the
            resident backbone is loaded from it and :meth:`segment` / :meth:`predict` label each
            image with one forward pass instead of optimising a fresh network.

    ``pretrained``, ``train_cfg`` and ``test_cfg`` are accepted because mmseg's
    ``init_model`` passes them; DynaSeg has nothing to pretrain.
    """

    def __init__(
        self,
        backbone: dict,
        loss: dict,
        optimizer: dict | None = None,
        schedule: dict | None = None,
        silhouette: dict | None = None,
        seed: int = 0,
        relabel: bool = False,
        channels_last: bool = True,
        tune_allocator: bool = True,
        scribble: dict | None = None,
        reference: dict | None = None,
        data_preprocessor: dict | None = None,
        pretrained: str | None = None,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | None = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone_cfg = copy.deepcopy(backbone)
        # A resident copy gives the segmentor parameters (checkpoints, reference-image mode).
        self.backbone = MODELS.build(backbone)
        self.loss_fn: DynaSegLoss = MODELS.build(loss)
        self.optimizer_cfg = dict(optimizer or DEFAULT_OPTIMIZER)
        self.schedule = Schedule(**(schedule or {}))
        self.silhouette = SilhouetteConfig(**(silhouette or {}))
        self.seed = seed
        self.relabel = relabel
        self.channels_last = channels_last
        self.tune_allocator = tune_allocator
        self.align_corners = False
        self.records: list[OptimizationRecord] = []
        self.scribble_weight = float((scribble or {}).get('weight', 0.5))
        self.reference_cfg: dict[str, Any] = dict(
            checkpoint=None, max_pixels=40_000, bn_stats='batch'
        )
        self.reference_cfg.update(reference or {})
        self._reference_ready = bool(self.reference_cfg['checkpoint'])
        if self._reference_ready:
            load_reference_checkpoint(self.backbone, self.reference_cfg['checkpoint'])

    @property
    def q_max(self) -> int:
        """Response channels of the extractor: the most labels, the bound on scribble values."""
        return int(self.backbone.out_channels)

    @property
    def reference_mode(self) -> bool:
        """True once a reference checkpoint is loaded or :meth:`train_reference` ran: one
        forward pass of the resident backbone per image."""
        return self._reference_ready

    def build_extractor(self) -> nn.Module:
        """A fresh, randomly initialised feature extractor (seed it before calling)."""
        return MODELS.build(copy.deepcopy(self.backbone_cfg))

    def segment(
        self,
        image: Tensor,
        seed: int | None = None,
        on_iteration=None,
        scribble: np.ndarray | Tensor | None = None,
    ) -> tuple[np.ndarray, OptimizationRecord]:
        """Segment one normalised image (1, 3, H, W); return labels (H, W) and the record.

        Per-image optimisation, or one forward pass of the trained backbone in reference mode.

        Args:
            scribble: optional (H, W) integer mask, 255 = no scribble, other values = the label
                (response channel, < :attr:`q_max`) those pixels must take; per-image mode only.
        """
        if self.reference_mode:
            if scribble is not None:
                raise ValueError(
                    'scribbles guide the per-image optimisation; reference mode '
                    '(a loaded checkpoint) does not optimise and cannot use them'
                )
            return self._reference_segment(image)
        mask = None
        if scribble is not None:
            from dynaseg.engine.scribble import validate_scribble

            mask = torch.from_numpy(
                validate_scribble(scribble, (image.shape[-2], image.shape[-1]), self.q_max)
            )
        labels, record = optimize_image(
            image,
            self.build_extractor,
            self.loss_fn,
            self.optimizer_cfg,
            self.schedule,
            seed=self.seed if seed is None else seed,
            silhouette=self.silhouette,
            channels_last=self.channels_last,
            tune_allocator=self.tune_allocator,
            on_iteration=on_iteration,
            scribble=mask,
            scribble_weight=self.scribble_weight,
        )
        if self.relabel:
            from dynaseg.utils.labels import relabel_connected_components

            labels = relabel_connected_components(labels)
        return labels, record

    def _reference_segment(self, image: Tensor) -> tuple[np.ndarray, OptimizationRecord]:
        """One forward pass of the resident (trained) backbone; the record holds its time."""
        start = time.perf_counter()
        labels = (
            reference_segment(
                self.backbone,
                image,
                max_pixels=self.reference_cfg['max_pixels'],
                bn_stats=self.reference_cfg['bn_stats'],
            )
            .cpu()
            .numpy()
        )
        if self.relabel:
            from dynaseg.utils.labels import relabel_connected_components

            labels = relabel_connected_components(labels)
        record = OptimizationRecord(
            stop_reason='reference_forward', seconds=time.perf_counter() - start
        )
        return labels, record

    def predict(
        self, inputs: Tensor, data_samples: list[SegDataSample] | None = None
    ) -> list[SegDataSample]:
        """Segment each image of the batch independently.

        mmseg's ``inference_model`` and mmengine's test loop call this under
        ``torch.no_grad()``; ``optimize_image`` re-enables gradients itself.
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

    def loss(self, inputs: Tensor, data_samples: list[SegDataSample] | None = None) -> dict:
        """The DynaSeg loss of the resident extractor on a batch (reference-image training)."""
        out = self.loss_fn(self.backbone(inputs))
        return {'loss': out.loss, 'num_labels': out.num_labels.float()}

    def train_reference(
        self, images: list[Tensor], iters: int, max_pixels: int | None = None, on_iteration=None
    ):
        """Train the resident backbone over ``images`` (each (1, 3, H, W), normalised).

        Re-initialises the backbone with :attr:`seed` (same seed, same network), then runs
        :func:`~dynaseg.engine.reference_mode.train_reference` with this model's loss and
        optimiser; ``max_pixels`` defaults to ``reference.max_pixels`` so training and inference
        see the same scale. Afterwards :meth:`segment` is in reference mode (one forward pass).
        Returns the :class:`~dynaseg.engine.reference_mode.ReferenceTrainRecord`.
        """
        from dynaseg.engine.reference_mode import train_reference

        device = next(self.backbone.parameters()).device
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.backbone = self.build_extractor().to(device)

        def loss_fn(response: Tensor) -> tuple[Tensor, Tensor]:
            out = self.loss_fn(response)
            return out.loss, out.num_labels

        cap = self.reference_cfg['max_pixels'] if max_pixels is None else max_pixels
        self._reference_ready = True
        return train_reference(
            self.backbone,
            loss_fn,
            [x.to(device) for x in images],
            self.optimizer_cfg,
            iters=iters,
            max_pixels=cap,
            seed=self.seed,
            on_iteration=on_iteration,
        )

    def extract_feat(self, inputs: Tensor) -> Tensor:
        return self.backbone(inputs)

    def encode_decode(self, inputs: Tensor, batch_img_metas: list[dict]) -> Tensor:
        return self.backbone(inputs)

    def _forward(self, inputs: Tensor, data_samples: list[SegDataSample] | None = None) -> Tensor:
        return self.backbone(inputs)
