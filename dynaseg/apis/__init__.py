"""High-level entry points; mmseg's ``init_model`` / ``inference_model`` also work with our configs."""
from .inference import (DEFAULT_CONFIG, SegmentationResult, build_segmentor, image_to_tensor,
                        load_config, segment_image)

__all__ = [
    'DEFAULT_CONFIG', 'SegmentationResult', 'build_segmentor', 'image_to_tensor', 'load_config',
    'segment_image'
]
