"""GPU levers of the per-image loop: arithmetic precision and ``torch.compile`` of the extractor.

    precision='fp32'  strict IEEE fp32: TF32 off for cuDNN convolutions and matmuls while the
                      loop runs (torch's own default lets cuDNN use TF32); no effect on a CPU
    precision='tf32'  TF32 on for both (Ampere and later GPUs); no effect on a CPU
    precision='bf16'  the extractor's forward under bf16 autocast, its response cast back to
                      fp32 before the loss (the argmax targets and the loss stay fp32)
    compile_extractor=True / 'backend'   torch.compile the stack's forward (default backend
                      inductor; a name picks another, e.g. 'eager' in tests)

All are off by default, and the default path is untouched: :func:`wrap_stack` hands the stack
back as it is and :func:`precision_scope` sets nothing a CPU reads, so CPU results are
bit-identical to a loop without these options. Each lever is meant to be kept only where
``tools/benchmark_batched.py --device cuda`` shows it pays and agrees with fp32 within the
method's own noise floor. CUDA graphs were not attempted: the active-model selection changes
the shapes between host checks, which graphs cannot capture without padding every stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

from .stack import ResponseStack

PRECISIONS = ('fp32', 'tf32', 'bf16')


def check_precision(precision: str) -> str:
    """``precision`` if it is one of :data:`PRECISIONS`, else ValueError."""
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be one of {PRECISIONS}, got {precision!r}')
    return precision


@contextmanager
def precision_scope(precision: str, device: torch.device) -> Iterator[None]:
    """Set the TF32 switches ``precision`` implies on a CUDA ``device``, restore them after."""
    check_precision(precision)
    if device.type != 'cuda':
        yield
        return
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    allow = precision == 'tf32'
    torch.backends.cuda.matmul.allow_tf32 = allow
    torch.backends.cudnn.allow_tf32 = allow
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


class _LeveredStack:
    """A stack whose forward runs compiled and/or under bf16 autocast, answering in fp32."""

    def __init__(
        self, net: ResponseStack, device: torch.device, bf16: bool, compile_with: str | None
    ) -> None:
        self.net = net
        self.num_models = net.num_models
        self.device_type = device.type
        self.bf16 = bf16
        forward: Callable[[Tensor, Tensor | None], Tensor] = net.__call__
        if compile_with is not None:
            forward = torch.compile(forward, backend=compile_with)
        self.forward = forward

    def parameters(self) -> list[Tensor]:
        return self.net.parameters()

    def __call__(self, x: Tensor, active: Tensor | None = None) -> Tensor:
        if not self.bf16:
            return self.forward(x, active)
        with torch.autocast(self.device_type, dtype=torch.bfloat16):
            response = self.forward(x, active)
        return response.float()


def wrap_stack(
    net: ResponseStack, device: torch.device, precision: str, compile_extractor: bool | str
) -> ResponseStack:
    """``net`` with the levers asked for; ``net`` itself when none is (the default path)."""
    bf16 = check_precision(precision) == 'bf16'
    compile_with = None
    if compile_extractor:
        compile_with = compile_extractor if isinstance(compile_extractor, str) else 'inductor'
    if not bf16 and compile_with is None:
        return net
    return _LeveredStack(net, device, bf16, compile_with)
