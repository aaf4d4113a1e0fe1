"""ResNet-18 + FPN feature extractor built from MMSegmentation's own ResNet and FPN."""

from __future__ import annotations

import torch.nn.functional as F
from mmseg.models.backbones import ResNet
from mmseg.models.necks import FPN
from torch import Tensor, nn

from dynaseg.registry import MODELS


@MODELS.register_module()
class ResNetFPNExtractor(nn.Module):
    """ResNet stem + the first ``num_stages`` stages, an FPN, then conv1x1 -> BN at input size.

    Weights are random; the segmentor's ``model.checkpoint`` loads a local file
    (``dynaseg/engine/weights.py``), nothing is ever downloaded. Besides this extractor's own
    state_dict, ResNet weights alone load (:meth:`adapt_state_dict`): torchvision-format keys
    (``conv1.weight``, ``layer1.0...``) and mmseg-format ones (a ``backbone.`` prefix).

    Args:
        depth: ResNet depth (18).
        num_stages: how many residual stages to keep; the early ones keep spatial detail.
        channels: FPN width p.
        out_channels: q_max response channels.

    Shape:
        input (B, 3, H, W) -> output (B, out_channels, H, W).
    """

    def __init__(
        self,
        depth: int = 18,
        num_stages: int = 2,
        channels: int = 100,
        out_channels: int = 100,
    ) -> None:
        super().__init__()
        self.resnet = ResNet(
            depth=depth,
            num_stages=num_stages,
            strides=(1, 2, 2, 2)[:num_stages],
            dilations=(1, 1, 1, 1)[:num_stages],
            out_indices=tuple(range(num_stages)),
            norm_eval=False,
        )
        stage_channels = [64 * 2**i for i in range(num_stages)]
        self.fpn = FPN(in_channels=stage_channels, out_channels=channels, num_outs=num_stages)
        self.head = nn.Sequential(
            nn.Conv2d(channels, out_channels, 1), nn.BatchNorm2d(out_channels)
        )
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> Tensor:
        finest = self.fpn(self.resnet(x))[0]
        # The finest FPN level is at stride 4; labels are needed per input pixel.
        upsampled = F.interpolate(finest, size=x.shape[-2:], mode='bilinear', align_corners=False)
        return self.head(upsampled)

    def adapt_state_dict(self, state: dict[str, Tensor]) -> dict[str, Tensor]:
        """A checkpoint's weights as this extractor's full state_dict.

        This extractor's own state_dict is returned as it is. Otherwise ``state`` is taken as
        pretrained ResNet weights (torchvision keys, or mmseg's with a ``backbone.`` prefix):
        the ResNet's tensors of matching name and shape are replaced, everything else (the
        classifier of a torchvision file, the FPN and head here) keeps its current value.

        Raises:
            ValueError: no ResNet weight matched.
        """
        own = self.state_dict()
        if set(state) == set(own):
            return state
        if any(k.startswith('backbone.') for k in state):
            state = {
                k[len('backbone.') :]: v for k, v in state.items() if k.startswith('backbone.')
            }
        resnet = self.resnet.state_dict()
        matched = {k: v for k, v in state.items() if k in resnet and resnet[k].shape == v.shape}
        if not matched:
            raise ValueError('no ResNet weights matched (expected keys like conv1.weight)')
        return dict(own, **{f'resnet.{k}': v for k, v in matched.items()})
