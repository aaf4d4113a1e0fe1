"""Tiny runs for tests: configs cut to seconds, a dataset run's results read back, a free port."""

from __future__ import annotations

import json
import pickle
import socket
from pathlib import Path
from typing import Any

from dynaseg.apis.inference import REPO_ROOT

__all__ = [
    'BSDS_CONFIG',
    'COCO_CONFIG',
    'TINY_OPTIONS',
    'free_port',
    'read_results',
    'tiny_cfg_options',
    'tiny_config',
]

COCO_CONFIG = REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-fsf_cnn-m3_fast_coco-stuff27.py'
BSDS_CONFIG = REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-fsf_cnn-m2_fast_bsds500.py'
#: A run of seconds: 16 channels, 5 coarse + 1 refining iteration, no Silhouette phase.
TINY_OPTIONS: dict[str, Any] = {
    'model.backbone.channels': 16,
    'model.backbone.out_channels': 16,
    'model.schedule.max_iters': 5,
    'model.schedule.refine_iters': 1,
    'model.silhouette.enabled': False,
}


def tiny_cfg_options(**options: Any) -> list[str]:
    """:data:`TINY_OPTIONS` (updated with ``options``) as a tool's ``--cfg-options`` words."""
    return [f'{key}={value}' for key, value in dict(TINY_OPTIONS, **options).items()]


def tiny_config(config: str | Path, data_root: Path, **options: Any):
    """``config`` loaded with :data:`TINY_OPTIONS` (and ``options``) on ``data_root``."""
    from dynaseg.apis import load_config

    cfg = load_config(config, dict(TINY_OPTIONS, **options))
    cfg.merge_from_dict({'data_root': str(data_root), 'dataset.data_root': str(data_root)})
    return cfg


def read_results(work_dir: Path) -> tuple[dict, list[dict]]:
    """A dataset run's ``eval_results.json`` and its per-image ``eval_results.pkl``."""
    results = json.loads((work_dir / 'eval_results.json').read_text())
    with open(work_dir / 'eval_results.pkl', 'rb') as f:
        return results, pickle.load(f)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for a torchrun rendezvous)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
