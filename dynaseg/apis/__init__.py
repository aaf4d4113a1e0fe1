"""High-level entry points; mmseg's ``init_model`` / ``inference_model`` also take our configs.

Modules: :mod:`.inference` (one image; configs by path or name), :mod:`.folder` (a folder,
resumable), :mod:`.dataset_runner` (a config's dataset) with :mod:`.scoring` (its metrics),
:mod:`.reference_training` (reference-image mode), and what runs share: :mod:`.overrides` (checked
config overrides and the plain names of the common settings), :mod:`.layout` (output files),
:mod:`.summary` (outcomes) and :mod:`.runtime` (signals, progress, gathering ranks); a folder run
also has :mod:`.resume` (what counts as done, one config per folder) and :mod:`.claims` (workers
sharing it). Flags live in :mod:`dynaseg.cli`.
"""

from .dataset_runner import run_dataset
from .folder import segment_file, segment_folder
from .inference import (
    DEFAULT_CONFIG,
    SegmentationResult,
    build_segmentor,
    image_to_tensor,
    list_configs,
    load_config,
    resolve_config,
    segment_image,
)
from .layout import DatasetLayout, OutputLayout
from .overrides import KEYWORDS, UnknownConfigKeyError
from .reference_training import train_reference_folder
from .runtime import RunInterrupted
from .summary import FolderSummary, ImageOutcome

__all__ = [
    'DEFAULT_CONFIG',
    'DatasetLayout',
    'FolderSummary',
    'ImageOutcome',
    'KEYWORDS',
    'OutputLayout',
    'RunInterrupted',
    'SegmentationResult',
    'UnknownConfigKeyError',
    'build_segmentor',
    'image_to_tensor',
    'list_configs',
    'load_config',
    'resolve_config',
    'run_dataset',
    'segment_file',
    'segment_folder',
    'segment_image',
    'train_reference_folder',
]
