"""N independent extractors behind one call: ``stack(x, active) -> (A, q, h, w)`` responses.

The engine (``loop.py``) optimises a *stack* of N models, each on its own image:

    x         (1, N*3, h, w)      the N images stacked along channels
    stack(x)  (N, q, h, w)        model n's response to image n in entry n

- :class:`SingleModel` is the N = 1 case: any ``nn.Module`` (DynaSegCNN, ResNet-18+FPN) used
  as it is, so one image is optimised exactly as on its own.
- :class:`StackedCNN` lays N plain CNNs out as one grouped network, so one grouped
  convolution does the work of N small ones:

      conv    weight (N*out, in, k, k), groups=N   -> model n only sees image n
      BN      N*C channels, batch of 1       -> statistics per model and channel over h*w,
                                                which is what BN does for one image alone
      loss    sum_n L_n                       -> d(sum)/d(theta_n) = dL_n/d(theta_n)

  The parameters are stored stacked with a leading model axis (``(N, out, in, k, k)``), so one
  optimiser over them is N independent optimisers as long as its update is elementwise (SGD
  with momentum / weight decay, the method's optimiser). Grouped and separate convolutions may
  sum in a different order, so labels agree with one-at-a-time runs to floating-point
  tolerance, not bit for bit.

When stacking helps: it removes per-operator and per-thread-synchronisation overhead (one
grouped op instead of N small ones); it does not reduce the FLOPs, and on CPU oneDNN's grouped
3x3 convolution is about 20% slower per FLOP than a dense one. So it wins for small images /
narrow networks, with several threads, and on GPUs; a single thread on 64x64 images with the
full 100-channel network is compute-bound and is faster one image at a time
(``tools/benchmark_batched.py`` measures both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ResponseStack(Protocol):
    """N models, each answering its own image of a channel-stacked input."""

    num_models: int

    def parameters(self) -> list[Tensor]:
        """The tensors the optimiser updates; for N > 1, each with the model axis first."""
        ...

    def __call__(self, x: Tensor, active: Tensor | None = None) -> Tensor:
        """(1, A*in, h, w) images of the ``active`` models (None = all) -> (A, q, h, w)."""
        ...


class SingleModel:
    """One extractor as a stack of one: its own layers, parameters and memory layout.

    Args:
        model: any feature extractor (B, 3, H, W) -> (B, q, H, W); moved to ``device`` and
            kept in train mode (BatchNorm on the image's own statistics, as in Kim et al.).
        channels_last: store its weights NHWC (oneDNN's native layout, see ``settings.py``).
    """

    num_models = 1

    def __init__(
        self, model: nn.Module, device: torch.device | str, channels_last: bool = True
    ) -> None:
        model = model.to(device).train()
        if channels_last:
            model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.model = model

    def parameters(self) -> list[Tensor]:
        return list(self.model.parameters())

    def __call__(self, x: Tensor, active: Tensor | None = None) -> Tensor:
        # One model: ``active`` can only select it.
        return self.model(x)


class _Conv(NamedTuple):
    weight: Tensor  # (N, out, in/groups, k, k), a leaf the optimiser owns
    bias: Tensor | None  # (N, out)
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    padding_mode: str


class _BatchNorm(NamedTuple):
    weight: Tensor | None  # (N, C)
    bias: Tensor | None  # (N, C)
    eps: float


class _ReLU(NamedTuple):
    pass


_Layer = _Conv | _BatchNorm | _ReLU
_STACKABLE = (nn.Conv2d, nn.BatchNorm2d, nn.ReLU)


def cnn_layers(model: nn.Module) -> list[nn.Module]:
    """The layers of a plain CNN: a ``layers`` sequence of Conv2d / BatchNorm2d / ReLU only.

    Raises:
        ValueError: the model is not such a CNN (it cannot be stacked).
    """
    layers = getattr(model, 'layers', None)
    modules = list(layers) if isinstance(layers, nn.Sequential) else []
    if not modules or not all(isinstance(m, _STACKABLE) for m in modules):
        raise ValueError(
            'batched optimisation supports plain CNN extractors (a `layers` Sequential of '
            f'Conv2d/BatchNorm2d/ReLU, such as DynaSegCNN) only, got {type(model).__name__}; '
            'use optimize_image for others'
        )
    return modules


class StackedCNN:
    """N plain CNNs (``layers`` of Conv2d / ReLU / BatchNorm2d) of one structure, grouped.

    Built from already initialised models, so each keeps the initialisation its own
    seed gave it. BatchNorm always runs on batch statistics: the one-image loop keeps
    its extractor in train mode throughout (including the final forward), so its
    running statistics are never used and are not kept here.

    Args:
        models: N extractors with identical layer shapes and settings.
        device: where the stacked parameters live.
    """

    def __init__(self, models: Sequence[nn.Module], device: torch.device | str = 'cpu') -> None:
        if not models:
            raise ValueError('need at least one model')
        layer_lists = [cnn_layers(model) for model in models]
        self.num_models = len(models)
        self.layers: list[_Layer] = [
            self._stack(module, [layers[index] for layers in layer_lists], device)
            for index, module in enumerate(layer_lists[0])
        ]
        first = self.layers[0]
        if not isinstance(first, _Conv):
            raise ValueError('a CNN to batch is expected to start with a convolution')
        self.in_channels = first.weight.shape[2] * first.groups

    @staticmethod
    def _stack(module: nn.Module, peers: list[nn.Module], device: torch.device | str) -> _Layer:
        def stacked(name: str) -> Tensor | None:
            tensors = [getattr(peer, name) for peer in peers]
            if tensors[0] is None:
                return None
            if any(t is None or t.shape != tensors[0].shape for t in tensors):
                raise ValueError(f'models differ in the shape of {type(module).__name__}.{name}')
            # A fresh leaf: the optimiser updates it, the source models stay untouched.
            return torch.stack([t.detach() for t in tensors]).to(device).requires_grad_()

        def settings(m: nn.Module) -> tuple:
            names = ('stride', 'padding', 'dilation', 'groups', 'padding_mode', 'eps', 'affine')
            return tuple(getattr(m, a, None) for a in names)

        if any(
            type(peer) is not type(module) or settings(peer) != settings(module) for peer in peers
        ):
            raise ValueError('the models to batch differ in their layer settings')
        if isinstance(module, nn.Conv2d):
            if isinstance(module.padding, str):
                raise ValueError("string padding ('same'/'valid') is not supported here")
            weight = stacked('weight')
            if weight is None:
                raise ValueError('a convolution without weights cannot be batched')
            return _Conv(
                weight,
                stacked('bias'),
                module.stride,
                module.padding,
                module.dilation,
                module.groups,
                module.padding_mode,
            )
        if isinstance(module, nn.BatchNorm2d):
            return _BatchNorm(stacked('weight'), stacked('bias'), module.eps)
        return _ReLU()

    def parameters(self) -> list[Tensor]:
        """The stacked leaves, each with the model axis first (in layer order)."""
        params: list[Tensor] = []
        for layer in self.layers:
            if isinstance(layer, (_Conv, _BatchNorm)):
                params += [p for p in (layer.weight, layer.bias) if p is not None]
        return params

    def __call__(self, x: Tensor, active: Tensor | None = None) -> Tensor:
        """Forward the selected models, each on its own image.

        Args:
            x: (1, A*in_channels, h, w), image a of the A selected models in channels
                ``[a*in, (a+1)*in)``.
            active: (A,) int64 indices of the selected models, ascending; None = all N.
        Returns:
            (A, q, h, w): model a's response in entry a.
        """
        count = self.num_models if active is None else active.numel()

        def take(param: Tensor | None) -> Tensor | None:
            # index_select's backward scatters into zeros, so unselected models get
            # an exactly zero gradient.
            if param is None:
                return None
            chosen = param if active is None else param.index_select(0, active)
            return chosen.reshape(-1, *param.shape[2:])

        for layer in self.layers:
            if isinstance(layer, _Conv):
                weight, bias = take(layer.weight), take(layer.bias)
                assert weight is not None  # _Conv.weight is never None
                padding: tuple[int, ...] = layer.padding
                if layer.padding_mode != 'zeros':
                    pad_h, pad_w = layer.padding
                    x = F.pad(x, (pad_w, pad_w, pad_h, pad_h), mode=layer.padding_mode)
                    padding = (0, 0)
                x = F.conv2d(
                    x, weight, bias, layer.stride, padding, layer.dilation, layer.groups * count
                )
            elif isinstance(layer, _BatchNorm):
                x = F.batch_norm(
                    x,
                    None,
                    None,
                    take(layer.weight),
                    take(layer.bias),
                    training=True,
                    momentum=0.0,
                    eps=layer.eps,
                )
            else:
                x = F.relu(x, inplace=True)
        return x[0].unflatten(0, (count, -1))


def select_images(x: Tensor, active: Tensor, num: int) -> Tensor:
    """Channels of the selected models' images from the (1, N*3, h, w) stack, layout kept."""
    if active.numel() == num:
        return x
    memory_format = (
        torch.channels_last
        if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
        else torch.contiguous_format
    )
    return (
        x.unflatten(1, (num, -1))[:, active].flatten(1, 2).contiguous(memory_format=memory_format)
    )
