from .continuity import Continuity
from .dynamic_weight import DynamicWeight, FixedWeight, FSFWeight, SCFWeight
from .dynaseg_loss import (
    DynaSegLoss,
    LossContext,
    LossOutput,
    count_labels,
)
from .superpixel import SuperpixelTarget, majority_labels

__all__ = [
    'DynamicWeight',
    'SCFWeight',
    'FSFWeight',
    'FixedWeight',
    'DynaSegLoss',
    'LossContext',
    'LossOutput',
    'Continuity',
    'SuperpixelTarget',
    'majority_labels',
    'count_labels',
]
