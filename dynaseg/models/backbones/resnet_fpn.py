"""ResNet-18 + FPN feature extractor built from MMSegmentation's own ResNet and FPN."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from mmseg.models.backbones import ResNet
from mmseg.models.necks import FPN
from torch import Tensor, nn

from dynaseg.registry import MODELS


@MODELS.register_module()
class ResNetFPNExtractor(nn.Module):
    """ResNet stem + the first ``num_stages`` stages, an FPN, then conv1x1 -> BN at input size.

    Weights are random unless ``checkpoint`` names a local file; nothing is ever
    downloaded. Both torchvision-format keys (``conv1.weight``, ``layer1.0...``)
    and mmseg-format checkpoints (``state_dict`` with a ``backbone.`` prefix) load.

    Args:
        depth: ResNet depth (18).
        num_stages: how many residual stages to keep; the early ones keep spatial detail.
        channels: FPN width p.
        out_channels: q_max response channels.
        checkpoint: optional local path of pretrained ResNet weights.

    Shape:
        input (B, 3, H, W) -> output (B, out_channels, H, W).
    """

    def __init__(
        self,
        depth: int = 18,
        num_stages: int = 2,
        channels: int = 100,
        out_channels: int = 100,
        checkpoint: str | None = None,
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
        self.checkpoint = checkpoint
        if checkpoint is not None:
            self.load_resnet_weights(checkpoint)

    def forward(self, x: Tensor) -> Tensor:
        finest = self.fpn(self.resnet(x))[0]
        # The finest FPN level is at stride 4; labels are needed per input pixel.
        upsampled = F.interpolate(finest, size=x.shape[-2:], mode='bilinear', align_corners=False)
        return self.head(upsampled)

    def init_weights(self) -> None:
        """Random initialisation, then the local checkpoint if one was given."""
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.BatchNorm2d)):
                module.reset_parameters()
        if self.checkpoint is not None:
            self.load_resnet_weights(self.checkpoint)

    def load_resnet_weights(self, path: str) -> None:
        """Load torchvision- or mmseg-format ResNet weights from a local file."""
        file = Path(path).expanduser()
        if not file.is_file():
            raise FileNotFoundError(
                f'ResNet checkpoint not found: {file} (no weights are downloaded; '
                'pass a local torchvision- or mmseg-format .pth file, or checkpoint=None)'
            )
        state = torch.load(file, map_location='cpu', weights_only=True)
        state = state.get('state_dict', state)
        if any(k.startswith('backbone.') for k in state):
            state = {
                k[len('backbone.') :]: v for k, v in state.items() if k.startswith('backbone.')
            }
        own = self.resnet.state_dict()
        matched = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        if not matched:
            raise ValueError(f'{file}: no ResNet weights matched (expected keys like conv1.weight)')
        self.resnet.load_state_dict(matched, strict=False)
