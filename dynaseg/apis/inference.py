"""The Python API: segment one image (path or array) with a config, from a notebook or a tool."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config

from dynaseg.engine import OptimizationRecord
from dynaseg.hierarchy import RegionHierarchy
from dynaseg.models.segmentors import PerImageSegmentor
from dynaseg.utils import register_all_modules

from .overrides import apply_overrides, keyword_options

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Where a non-editable install keeps the configs (setup.py copies configs/ there).
PACKAGED_CONFIGS = Path(__file__).resolve().parents[1] / '.mim' / 'configs'


def config_root() -> Path:
    """The configs folder: the checkout's ``configs/``, else the installed package's copy."""
    checkout = REPO_ROOT / 'configs'
    return checkout if checkout.is_dir() else PACKAGED_CONFIGS


#: The default config of every tool, ``segment_image`` and the demo; the one config file that says
#: so (configs/README.md: how it was chosen, and the report row that holds its test numbers).
DEFAULT_CONFIG = config_root() / 'dynaseg' / 'dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py'

#: Configs renamed to the naming rule of configs/README.md, old name -> new name. Results and
#: commands written before carry the old names; :func:`resolve_config` and the reports read them
#: under the new ones.
RENAMED_CONFIGS = {
    'dynaseg-fsf_cnn-m2_quick-p10-replicate-edge-fh_bsds500': (
        'dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh'
    ),
    'dynaseg-fsf_cnn-m2_quick-replicate-edge-fh_bsds500': (
        'dynaseg-fsf_cnn-m2_quick-p20_bsds500_replicate-edge-fh'
    ),
    'dynaseg-fsf_cnn-m2_fast-replicate-edge-fh_bsds500': (
        'dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge-fh'
    ),
    'dynaseg-fsf_cnn-m2_fast-replicate-edge_bsds500': (
        'dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge'
    ),
    'dynaseg-scf_cnn-m2_scribble_voc2012': 'dynaseg-scf_cnn-m2_fast_voc2012_scribble',
    'kim-fixed_cnn-m2_quick-p10-replicate-edge-fh_bsds500': (
        'kim-fixed_cnn-m2_quick_bsds500_replicate-edge-fh'
    ),
    'kim-fixed_cnn-m2_fast-replicate-edge_bsds500': 'kim-fixed_cnn-m2_fast_bsds500_replicate-edge',
}


@dataclass
class SegmentationResult:
    """A label map (H, W) int64, segment ids from 0, the record of its optimisation and, when
    the model builds one (``model.hierarchy``), the region hierarchy of the image: every coarser
    segmentation is one of its cuts (``hierarchy.cut(regions=K)``, ``hierarchy.ucm2()``)."""

    labels: np.ndarray
    record: OptimizationRecord
    hierarchy: RegionHierarchy | None = None

    @property
    def num_segments(self) -> int:
        return int(len(np.unique(self.labels)))


def list_configs() -> list[str]:
    """Every runnable config, as its path under :func:`config_root` (``_base_`` parts left out)."""
    root = config_root()
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob('*.py')
        if '_base_' not in p.relative_to(root).parts
    )


def resolve_config(config: str | Path) -> Path:
    """The config file ``config`` names, from any working folder.

    Tried in order: a file at that path; the same path under the configs folder (with or without
    its leading ``configs/``, so a checkout-relative path works from elsewhere); a config name,
    the file stem with or without ``.py`` (``dynaseg-fsf_cnn-m2_fast_bsds500``), or a name it had
    before :data:`RENAMED_CONFIGS`.

    Raises:
        FileNotFoundError: none matches; the message names the closest config names.
    """
    path = Path(config)
    if path.is_file():
        return path
    root = config_root()
    if not path.is_absolute():
        parts = path.parts[1:] if path.parts[:1] == ('configs',) else path.parts
        under_root = root.joinpath(*parts) if parts else root
        if under_root.is_file():
            return under_root
    name = path.name[:-3] if path.name.endswith('.py') else path.name
    name = RENAMED_CONFIGS.get(name, name)
    names = {Path(c).stem: root / c for c in list_configs()}
    if name in names:
        return names[name]
    close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.6)
    hint = f'; did you mean {", ".join(close)}?' if close else ''
    raise FileNotFoundError(
        f'config not found: {config} (not a file, nor a config name under {root}){hint} '
        '(--list-configs lists them)'
    )


def load_config(
    config: str | Path | Config | None = None, cfg_options: dict | None = None
) -> Config:
    """Load a config (a path or name, see :func:`resolve_config`; default
    :data:`DEFAULT_CONFIG`, the validated one) and apply checked overrides
    (:func:`~dynaseg.apis.overrides.apply_overrides`: an unknown key raises
    :class:`~dynaseg.apis.overrides.UnknownConfigKeyError`)."""
    if isinstance(config, Config):
        cfg = config.copy()
    else:
        cfg = Config.fromfile(str(resolve_config(config if config is not None else DEFAULT_CONFIG)))
    return apply_overrides(cfg, cfg_options)


def config_name(cfg: Config) -> str:
    """The config's file stem, the name records and result files give it."""
    return Path(cfg.filename).stem if getattr(cfg, 'filename', None) else '<in-memory config>'


def build_segmentor(cfg: Config, device: str = 'cpu') -> PerImageSegmentor:
    """Build the segmentor of ``cfg`` on ``device``: DynaSeg (per-image or reference-image) or a
    classical baseline (``dynaseg/models/segmentors/classical.py``), with the builder of its
    region hierarchy when the config has a top-level ``hierarchy``."""
    register_all_modules()
    from dynaseg.registry import MODELS

    model = MODELS.build(cfg.model)
    if not isinstance(model, PerImageSegmentor):
        raise TypeError(
            f'config model type {cfg.model.get("type")!r} is not a per-image segmentor '
            '(DynaSeg or a classical baseline)'
        )
    if cfg.get('hierarchy') is not None:
        model.hierarchy = MODELS.build(cfg.hierarchy)
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
    regions: int | None = None,
    level: float | None = None,
    **overrides,
) -> SegmentationResult:
    """Segment one image with a per-image segmentor (DynaSeg by default).

    Args:
        image_or_path: an image file, or an array (H, W), (H, W, 3|4) of uint8/uint16/float
            in RGB(A) order: an array from ``cv2.imread`` or ``mmcv.imread`` is BGR, pass
            ``img[..., ::-1]``.
        config: a config path, name or Config; default :data:`DEFAULT_CONFIG` (the validated
            one).
        device: ``'cpu'`` or ``'cuda'``.
        model: an already built segmentor (skips building; ``config``/``overrides`` ignored).
        on_iteration: optional ``callback(iteration, num_labels)`` for progress display.
        regions: return the cut of the region hierarchy with exactly this many connected
            regions (the model must build a hierarchy, as the default does). Unlike
            ``num_segments`` (K labels, each possibly in many pieces), one optimisation serves
            every K.
        level: return the cut of the hierarchy at this level in [0, 1] instead (every boundary
            weaker than it gone).
        **overrides: settings by their plain names (:data:`~dynaseg.apis.overrides.KEYWORDS`:
            ``seed``, ``weighting``, ``mu``, ``channels``, ``num_convs``, ``max_iters``,
            ``min_labels``, ``patience``, ``num_segments``, ``lr``, ``scribble_weight``), and any
            config key in ``--cfg-options`` form, e.g. ``**{'model.schedule.max_pixels': 1e5}``.
            An unknown or misspelt key raises
            :class:`~dynaseg.apis.overrides.UnknownConfigKeyError` naming the closest valid one.
    Returns:
        :class:`SegmentationResult` with ``labels`` (H, W) at the input's resolution, a
        ``record`` (iterations, label count per iteration, loss per iteration, seconds) and the
        ``hierarchy`` when the model builds one.
    Raises:
        ValueError: ``regions`` or ``level`` without a hierarchy, or out of its range.

    Example:
        >>> from dynaseg.apis import segment_image
        >>> result = segment_image('photo.jpg', num_segments=5, max_iters=100)
        >>> result.labels.shape, result.record.iterations
        >>> coarse = segment_image(rgb_array, regions=10).labels  # (H, W, 3) uint8 RGB
    """
    from dynaseg.utils.image_io import as_rgb_uint8, load_image

    if model is None:
        model = build_segmentor(load_config(config, keyword_options(overrides)), device)
    if isinstance(image_or_path, np.ndarray):
        rgb = as_rgb_uint8(image_or_path)
    else:
        rgb = load_image(image_or_path)
    tensor = image_to_tensor(rgb, model)
    if model.hierarchy is None:
        if regions is not None or level is not None:
            raise ValueError('regions and level cut a hierarchy: the config sets no `hierarchy`')
        labels, record = model.segment(tensor, on_iteration=on_iteration)
        return SegmentationResult(labels=labels, record=record)
    labels, record, hierarchy = model.segment_hierarchy(tensor, on_iteration=on_iteration)
    if regions is not None or level is not None:
        labels = hierarchy.cut(regions=regions, level=level)
    return SegmentationResult(labels=labels, record=record, hierarchy=hierarchy)
