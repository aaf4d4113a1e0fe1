"""Registering every DynaSeg module and making ``dynaseg`` the default registry scope."""

from __future__ import annotations


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import the registered models, datasets and metrics; optionally set the default scope.

    Tools call this once; configs get the same effect through ``custom_imports``.
    """
    import dynaseg.datasets  # noqa: F401
    import dynaseg.evaluation.metrics  # noqa: F401
    import dynaseg.models  # noqa: F401

    if init_default_scope:
        from mmengine.registry import DefaultScope
        from mmengine.registry import init_default_scope as init_scope

        current = DefaultScope.get_current_instance()
        if current is None or current.scope_name != 'dynaseg':
            init_scope('dynaseg')
