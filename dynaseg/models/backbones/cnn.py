"""The feature extractor of Kim et al. (TIP 2020) and DynaSeg: a small fully-convolutional net."""

from __future__ import annotations

from typing import Literal

from torch import Tensor, nn

from dynaseg.registry import MODELS


@MODELS.register_module()
class DynaSegCNN(nn.Module):
    """``num_convs`` x (conv3x3 -> ReLU -> BN) followed by conv1x1 -> BN.

    The final BatchNorm matters: the argmax target is taken from the normalised
    response, which keeps every channel in play early in the optimisation.

    Args:
        in_channels: image channels (3).
        channels: p, width of the 3x3 blocks (100).
        num_convs: M, number of 3x3 blocks (Kim's demo: 2; the paper's 0.19 M-parameter model: 3).
        out_channels: q_max, the number of response channels = the most labels possible (100).
        padding_mode: ``'zeros'`` as published; ``'replicate'`` avoids the label stripe that zero
            padding leaves along the image border.

    Shape:
        input (B, in_channels, H, W) -> output (B, out_channels, H, W).
    """

    def __init__(
        self,
        in_channels: int = 3,
        channels: int = 100,
        num_convs: int = 2,
        out_channels: int = 100,
        padding_mode: Literal['zeros', 'reflect', 'replicate', 'circular'] = 'zeros',
    ) -> None:
        super().__init__()
        if num_convs < 1:
            raise ValueError(f'num_convs must be >= 1, got {num_convs}')
        layers: list[nn.Module] = []
        width = in_channels
        for _ in range(num_convs):
            layers += [
                nn.Conv2d(width, channels, 3, padding=1, padding_mode=padding_mode),
                nn.ReLU(inplace=True),
                nn.BatchNorm2d(channels),
            ]
            width = channels
        layers += [nn.Conv2d(channels, out_channels, 1), nn.BatchNorm2d(out_channels)]
        self.layers = nn.Sequential(*layers)
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)

    def init_weights(self) -> None:
        """PyTorch's default initialisation is the one used by Kim et al.; keep it."""
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.BatchNorm2d)):
                module.reset_parameters()


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__ = ['DynaSegCNN', 'count_parameters']
