"""Registered DynaSeg components: feature extractors, losses, the segmentors."""

from .backbones import DynaSegCNN, ResNetFPNExtractor  # noqa: F401
from .losses import DynaSegLoss, FixedWeight, FSFWeight, SCFWeight  # noqa: F401
from .segmentors import DynaSeg, DynaSegReferenceImage  # noqa: F401
