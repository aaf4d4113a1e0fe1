"""The per-image optimisation engine: settings, schedule, stacked models, loop, weights files."""

from .allocator import keep_freed_memory
from .many import bucket_by_size, optimize_many
from .optimize import optimize_batch, optimize_image
from .optimizer import DEFAULT_OPTIMIZER, build_optimizer
from .record import NonFiniteBatchError, NonFiniteLossError, OptimizationRecord, SilhouetteConfig
from .resize import argmax_at_size, resize_image
from .schedule import Schedule, StopRule, fit_pixels
from .settings import EngineSettings
from .stack import SingleModel, StackedCNN

__all__ = [
    'keep_freed_memory',
    'DEFAULT_OPTIMIZER',
    'EngineSettings',
    'NonFiniteBatchError',
    'NonFiniteLossError',
    'OptimizationRecord',
    'SilhouetteConfig',
    'SingleModel',
    'StackedCNN',
    'StopRule',
    'argmax_at_size',
    'build_optimizer',
    'optimize_image',
    'resize_image',
    'Schedule',
    'fit_pixels',
    'bucket_by_size',
    'optimize_batch',
    'optimize_many',
]
