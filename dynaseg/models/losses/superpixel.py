"""Superpixel-refined targets (Kanezaki, "Unsupervised image segmentation by backpropagation",
ICASSP 2018), as ``model.loss.target=dict(type='superpixel', ...)``.

Instead of each pixel's own argmax, L_sim's target for every pixel is the most frequent argmax
label of its SLIC superpixel, so a label can only change a whole superpixel at a time and
segment boundaries follow the superpixels' colour edges:

    once per stage:      S = SLIC(stage image)               (h, w) superpixel ids
    every iteration:     c = argmax(r);  t(p) = mode of c over S(p);  L_sim = CE(r, t)

The superpixels depend only on the image, so they are computed once per stage
(:meth:`~.DynaSegLoss.prepare`); the majority vote is one bincount per iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from skimage.segmentation import slic
from torch import Tensor

from dynaseg.registry import LOSS_TARGETS

from .targets import LossTarget


@LOSS_TARGETS.register_module(name='superpixel')
@dataclass(frozen=True)
class SuperpixelTarget(LossTarget):
    """SLIC settings of the superpixel-refined target (Kanezaki's demo: 10000, 100).

    Args:
        n_segments: approximate number of superpixels per stage image, whatever its size
            (so a coarse stage and the working size cut the scene alike).
        compactness: SLIC's colour / space balance (higher = more regular superpixels).
    """

    n_segments: int = 10000
    compactness: float = 100.0

    def __post_init__(self) -> None:
        if self.n_segments < 1 or self.compactness <= 0:
            raise ValueError(f'invalid superpixel target settings: {self}')

    def regions(self, images: Tensor) -> tuple[Tensor, int]:
        """SLIC superpixels of each image.

        Args:
            images: (N, 3, h, w) RGB in [0, 1] (SLIC converts it to Lab).
        Returns:
            (N, h, w) int64 superpixel ids in [0, S) on the images' device, and S (the
            largest count of any image; ids of one image need not reach it).
        """
        pixels = images.detach().permute(0, 2, 3, 1).to('cpu', torch.float64).numpy()
        ids = np.stack(
            [
                slic(
                    image,
                    n_segments=self.n_segments,
                    compactness=self.compactness,
                    start_label=0,
                    channel_axis=-1,
                )
                for image in pixels
            ]
        )
        return torch.from_numpy(ids.astype(np.int64)).to(images.device), int(ids.max()) + 1


def majority_labels(
    labels: Tensor, segments: Tensor, num_segments: int, num_classes: int
) -> Tensor:
    """Each pixel's label replaced by the most frequent label of its superpixel.

    One bincount for the whole batch: pixel p of sample b counts in bin
    ``((b * S + segment(p)) * C + label(p))``. Ties go to the lowest label (argmax returns
    the first maximum).

    Args:
        labels: (B, H, W) int64 in [0, C).
        segments: (B, H, W) int64 superpixel ids in [0, S).
        num_segments: S.
        num_classes: C.
    Returns:
        (B, H, W) int64 majority labels.
    """
    samples = labels.shape[0]
    offsets = torch.arange(samples, device=labels.device).view(-1, 1, 1) * num_segments
    region = segments + offsets  # (B, H, W) in [0, B * S)
    counts = torch.bincount(
        (region * num_classes + labels).flatten(), minlength=samples * num_segments * num_classes
    )
    return counts.view(-1, num_classes).argmax(dim=1)[region]
