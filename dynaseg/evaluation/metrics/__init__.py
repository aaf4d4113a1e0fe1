"""Registered mmengine metrics; thin wrappers over :mod:`dynaseg.evaluation.functional`."""

from .bsds_region import BSDSRegionMetric
from .cocostuff import CocoStuffMetric
from .kim_miou import KimSegmentMIoU

__all__ = ['BSDSRegionMetric', 'CocoStuffMetric', 'KimSegmentMIoU']
