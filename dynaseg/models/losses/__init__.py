from .dynamic_weight import DynamicWeight, FixedWeight, FSFWeight, SCFWeight
from .dynaseg_loss import (
    DynaSegLoss,
    LossOutput,
    count_labels,
    feature_similarity_loss,
    spatial_continuity_loss,
)

__all__ = [
    'DynamicWeight',
    'SCFWeight',
    'FSFWeight',
    'FixedWeight',
    'DynaSegLoss',
    'LossOutput',
    'count_labels',
    'feature_similarity_loss',
    'spatial_continuity_loss',
]
