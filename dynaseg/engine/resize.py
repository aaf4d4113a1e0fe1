"""Moving between sizes: area-downsampled inputs, labels of a response at another size."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

# Upsampling the response to a 12-megapixel input at once would need ~5 GB: do it in
# bands of output rows that hold at most this many response values.
_UPSAMPLE_CHUNK_VALUES = 2**25


def resize_image(image: Tensor, size: tuple[int, int]) -> Tensor:
    """Area-downsample (or keep) a (1, C, H, W) image to ``size``."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode='area')


def argmax_at_size(
    response: Tensor,
    size: tuple[int, int],
    to_labels: Callable[[Tensor], Tensor] | None = None,
) -> Tensor:
    """Labels (H, W) = argmax over channels of the response bilinearly resized to ``size``.

    Resizing the response rather than the labels keeps boundaries smooth; it is done
    in bands of rows so a 12-megapixel output never materialises the full response.
    ``to_labels`` replaces the argmax: (C, h, w) response -> (h, w) int64 labels, pixelwise.
    """
    label_fn = to_labels or (lambda resized: resized.argmax(0))
    if tuple(response.shape[-2:]) == tuple(size):
        return label_fn(response[0])
    height, width = size
    channels = response.shape[1]
    band = max(1, _UPSAMPLE_CHUNK_VALUES // (channels * width))
    xs = (torch.arange(width, device=response.device) + 0.5) / width * 2 - 1
    labels = torch.empty((height, width), dtype=torch.long, device=response.device)
    source = response.float().contiguous()
    for top in range(0, height, band):
        rows = torch.arange(top, min(top + band, height), device=response.device)
        ys = (rows + 0.5) / height * 2 - 1
        grid = torch.stack(torch.meshgrid(ys, xs, indexing='ij')[::-1], dim=-1)[None]
        resized = F.grid_sample(
            source, grid, mode='bilinear', padding_mode='border', align_corners=False
        )
        labels[rows] = label_fn(resized[0])
    return labels
