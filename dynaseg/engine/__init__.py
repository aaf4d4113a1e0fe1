"""The per-image optimisation engine: schedule, loop, allocator tuning."""

from .allocator import keep_freed_memory
from .batched import bucket_by_size, optimize_batch, optimize_many
from .per_image import (
    DEFAULT_OPTIMIZER,
    NonFiniteLossError,
    OptimizationRecord,
    SilhouetteConfig,
    argmax_at_size,
    optimize_image,
    resize_image,
)
from .schedule import Schedule, fit_pixels

__all__ = [
    'keep_freed_memory',
    'DEFAULT_OPTIMIZER',
    'NonFiniteLossError',
    'OptimizationRecord',
    'SilhouetteConfig',
    'argmax_at_size',
    'optimize_image',
    'resize_image',
    'Schedule',
    'fit_pixels',
    'bucket_by_size',
    'optimize_batch',
    'optimize_many',
]
