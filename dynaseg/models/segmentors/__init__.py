from .dynaseg import DynaSeg

__all__ = ['DynaSeg']
