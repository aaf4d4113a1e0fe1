"""Synthetic data and tiny runs for tests, examples and benchmarks (no files, no downloads).

Modules: :mod:`.synthetic` (piecewise-constant pictures with known regions), :mod:`.layouts`
(BSDS500 and COCO-Stuff layouts on disk made of them) and :mod:`.runs` (configs cut to seconds,
a dataset run's results read back, a free port); import :mod:`.runs` by name, it loads the
configs machinery.
"""

from .layouts import make_bsds, make_cocostuff
from .synthetic import CHECK_SIZES, piecewise_image, random_piecewise_image

__all__ = [
    'CHECK_SIZES',
    'make_bsds',
    'make_cocostuff',
    'piecewise_image',
    'random_piecewise_image',
]
