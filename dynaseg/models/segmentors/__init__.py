from .base import DynaSegBase
from .dynaseg import DynaSeg
from .reference_image import DynaSegReferenceImage, reference_image_config

__all__ = ['DynaSeg', 'DynaSegBase', 'DynaSegReferenceImage', 'reference_image_config']
