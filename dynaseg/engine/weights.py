"""Extractor weights on disk: one writer, one loader, one config key (``model.checkpoint``).

The same file format serves every use: a network trained in reference-image mode, the warm start
of the per-image optimisation, and pretrained weights of a part of the extractor (ResNet-18 in
torchvision or mmseg format), which the extractor itself maps onto its own keys
(``adapt_state_dict``). Nothing is ever downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor, nn


def save_extractor_weights(extractor: nn.Module, path: str | os.PathLike[str]) -> None:
    """Write ``extractor``'s state_dict as plain CPU tensors, atomically.

    Plain tensors only, so ``torch.load(path, weights_only=True)`` (torch >= 2.6 default) reads it.
    """
    from dynaseg.utils.fileio import atomic_write

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().cpu().clone() for name, tensor in extractor.state_dict().items()}
    with atomic_write(path, 'wb') as handle:
        torch.save(state, handle)


def load_extractor_weights(extractor: nn.Module, path: str | os.PathLike[str]) -> None:
    """Load a weights file (``model.checkpoint``) into ``extractor``.

    The file holds a plain state_dict (:func:`save_extractor_weights`), optionally under a
    ``'state_dict'`` key (mmseg's checkpoints). An extractor with an ``adapt_state_dict(state)``
    method maps other layouts onto its own keys first (``ResNetFPNExtractor``: ResNet weights
    alone); otherwise every key must fit.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a plain state_dict, or one of another architecture (one line, naming it).
    """
    name = f'extractor checkpoint {os.fspath(path)!r}'
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{name} does not exist (no weights are downloaded)')
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # pickle / zip errors, non-tensor payloads refused by weights_only
        message = ' '.join(str(err).split())[:200]
        raise ValueError(
            f'{name} is not a plain state_dict: {type(err).__name__}: {message}'
        ) from err
    if isinstance(state, dict) and isinstance(state.get('state_dict'), dict):
        state = state['state_dict']
    if not isinstance(state, dict):
        raise ValueError(f'{name} holds a {type(state).__name__}, expected a state_dict')
    adapt = getattr(extractor, 'adapt_state_dict', None)
    try:
        weights: dict[str, Tensor] = adapt(state) if adapt is not None else state
        extractor.load_state_dict(weights)
    except (RuntimeError, ValueError) as err:
        message = ' '.join(str(err).split())[:300]
        raise ValueError(f"{name} does not fit the config's backbone: {message}") from err
