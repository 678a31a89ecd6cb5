"""Scope set-up: import every registering module and make ``vireid_toolbox`` the default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import all vireid_toolbox modules that register classes.

    Args:
        init_default_scope (bool): Whether to set ``vireid_toolbox`` as the
            default scope of the registries. Defaults to True.
    """
    import vireid_toolbox.datasets  # noqa: F401
    import vireid_toolbox.engine  # noqa: F401
    import vireid_toolbox.evaluation  # noqa: F401
    import vireid_toolbox.models  # noqa: F401
    import vireid_toolbox.visualization  # noqa: F401
    from .checkpoint import allow_mmengine_checkpoint_types
    allow_mmengine_checkpoint_types()

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('vireid_toolbox'):
        DefaultScope.get_instance('vireid_toolbox', scope_name='vireid_toolbox')
    elif current.scope_name != 'vireid_toolbox':
        warnings.warn(f'The current default scope "{current.scope_name}" is not '
                      '"vireid_toolbox"; a new scope instance is created.')
        name = f'vireid_toolbox-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='vireid_toolbox')
