from .base import DynaSegBase, PerImageSegmentor
from .classical import (
    ClassicalSegmentor,
    FelzenszwalbSegmentor,
    GridSegmentor,
    KMeansSegmentor,
    QuickshiftSegmentor,
    SLICSegmentor,
)
from .dynaseg import DynaSeg
from .reference_image import DynaSegReferenceImage, reference_image_config

__all__ = [
    'ClassicalSegmentor',
    'DynaSeg',
    'DynaSegBase',
    'DynaSegReferenceImage',
    'FelzenszwalbSegmentor',
    'GridSegmentor',
    'KMeansSegmentor',
    'PerImageSegmentor',
    'QuickshiftSegmentor',
    'SLICSegmentor',
    'reference_image_config',
]
