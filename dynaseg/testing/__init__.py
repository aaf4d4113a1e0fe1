"""Synthetic data for tests, examples and benchmarks (no files, no downloads)."""

from .synthetic import piecewise_image

__all__ = ['piecewise_image']
