"""Synthetic data for tests, examples and benchmarks (no files, no downloads)."""

from .synthetic import CHECK_SIZES, piecewise_image, random_piecewise_image

__all__ = ['CHECK_SIZES', 'piecewise_image', 'random_piecewise_image']
