"""Small helpers shared by the package: image reading, atomic file output, label maps."""

from .setup_env import register_all_modules

__all__ = ['register_all_modules']
