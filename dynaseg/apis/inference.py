"""The Python API: segment one image (path or array) with a config, from a notebook or a tool."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config

from dynaseg.engine import OptimizationRecord
from dynaseg.models.segmentors import PerImageSegmentor
from dynaseg.utils import register_all_modules

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The validated default (issue 16): DynaSeg-FSF, fast schedule, replicate padding and edge-aware
#: continuity, chosen on BSDS500 val (docs/tuning.md) and reported on test in
#: docs/results_default.md.
DEFAULT_CONFIG = (
    REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-fsf_cnn-m2_fast-replicate-edge_bsds500.py'
)


@dataclass
class SegmentationResult:
    """A label map (H, W) int64, segment ids from 0, and the record of its optimisation."""

    labels: np.ndarray
    record: OptimizationRecord

    @property
    def num_segments(self) -> int:
        return int(len(np.unique(self.labels)))


def load_config(
    config: str | Path | Config | None = None, cfg_options: dict | None = None
) -> Config:
    """Load a config file (default: :data:`DEFAULT_CONFIG`, the validated one); merge overrides."""
    if isinstance(config, Config):
        cfg = config.copy()
    else:
        path = Path(config) if config is not None else DEFAULT_CONFIG
        if not path.is_file():
            raise FileNotFoundError(f'config file not found: {path}')
        cfg = Config.fromfile(str(path))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def config_name(cfg: Config) -> str:
    """The config's file stem, the name records and result files give it."""
    return Path(cfg.filename).stem if getattr(cfg, 'filename', None) else '<in-memory config>'


def build_segmentor(cfg: Config, device: str = 'cpu') -> PerImageSegmentor:
    """Build the segmentor of ``cfg`` on ``device``: DynaSeg (per-image or reference-image) or a
    classical baseline (``dynaseg/models/segmentors/classical.py``)."""
    register_all_modules()
    from dynaseg.registry import MODELS

    model = MODELS.build(cfg.model)
    if not isinstance(model, PerImageSegmentor):
        raise TypeError(
            f'config model type {cfg.model.get("type")!r} is not a per-image segmentor '
            '(DynaSeg or a classical baseline)'
        )
    return model.to(device).eval()


def image_to_tensor(image: np.ndarray, model: torch.nn.Module) -> torch.Tensor:
    """(H, W, 3) uint8 RGB -> (1, 3, H, W) float, normalised like the model's data preprocessor."""
    mean: torch.Tensor = model.data_preprocessor.mean  # type: ignore[assignment]
    std: torch.Tensor = model.data_preprocessor.std  # type: ignore[assignment]
    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float()[None]
    return (tensor.to(mean.device) - mean) / std


def segment_image(
    image_or_path: str | Path | np.ndarray,
    config: str | Path | Config | None = None,
    *,
    device: str = 'cpu',
    model: PerImageSegmentor | None = None,
    on_iteration=None,
    **overrides,
) -> SegmentationResult:
    """Segment one image by per-image DynaSeg optimisation.

    Args:
        image_or_path: an image file, or an array (H, W), (H, W, 3|4) of uint8/uint16/float.
        config: a config path or Config; default :data:`DEFAULT_CONFIG` (the validated one).
        device: ``'cpu'`` or ``'cuda'``.
        model: an already built segmentor (skips building; ``config``/``overrides`` ignored).
        on_iteration: optional ``callback(iteration, num_labels)`` for progress display.
        **overrides: config overrides in ``--cfg-options`` form, e.g.
            ``{'model.schedule.max_iters': 200, 'model.seed': 3}``.
    Returns:
        :class:`SegmentationResult` with ``labels`` (H, W) at the input's resolution and a
        ``record`` (iterations, label count per iteration, loss per iteration, seconds).

    Example:
        >>> from dynaseg.apis import segment_image
        >>> result = segment_image('photo.jpg', **{'model.schedule.max_iters': 100})
        >>> result.labels.shape, result.record.iterations
    """
    from dynaseg.utils.image_io import as_rgb_uint8, load_image

    if model is None:
        model = build_segmentor(load_config(config, overrides), device)
    if isinstance(image_or_path, np.ndarray):
        rgb = as_rgb_uint8(image_or_path)
    else:
        rgb = load_image(image_or_path)
    labels, record = model.segment(image_to_tensor(rgb, model), on_iteration=on_iteration)
    return SegmentationResult(labels=labels, record=record)
