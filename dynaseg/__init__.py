"""dynaseg: DynaSeg unsupervised image segmentation on MMEngine + MMSegmentation 1.x.

Importing the package is cheap; the registered models, datasets and metrics are
imported by :func:`dynaseg.utils.register_all_modules` (or by a config's
``custom_imports``) so that tools which only score label maps do not pay for
torch and mmseg at start-up.
"""

from .version import __version__

__all__ = ['__version__']
