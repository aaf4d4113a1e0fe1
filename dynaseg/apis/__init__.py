"""High-level entry points; mmseg's ``init_model`` / ``inference_model`` also take our configs."""

from .dataset_runner import DatasetLayout, run_dataset
from .folder import (
    FolderSummary,
    ImageOutcome,
    OutputLayout,
    RunInterrupted,
    segment_file,
    segment_folder,
)
from .inference import (
    DEFAULT_CONFIG,
    SegmentationResult,
    build_segmentor,
    image_to_tensor,
    load_config,
    segment_image,
)

__all__ = [
    'DEFAULT_CONFIG',
    'DatasetLayout',
    'FolderSummary',
    'ImageOutcome',
    'OutputLayout',
    'RunInterrupted',
    'SegmentationResult',
    'build_segmentor',
    'image_to_tensor',
    'load_config',
    'run_dataset',
    'segment_file',
    'segment_folder',
    'segment_image',
]
