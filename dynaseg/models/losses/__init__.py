from .continuity import Continuity
from .dynamic_weight import DynamicWeight, FixedWeight, FSFWeight, SCFWeight
from .dynaseg_loss import (
    DynaSegLoss,
    LossContext,
    LossOutput,
    count_labels,
)
from .superpixel import SuperpixelTarget, majority_labels
from .targets import ArgmaxTarget, LossTarget, build_target

__all__ = [
    'DynamicWeight',
    'SCFWeight',
    'FSFWeight',
    'FixedWeight',
    'DynaSegLoss',
    'LossContext',
    'LossOutput',
    'Continuity',
    'ArgmaxTarget',
    'LossTarget',
    'SuperpixelTarget',
    'build_target',
    'majority_labels',
    'count_labels',
]
