"""Check a config against the constructors it names, before anything is built.

A misspelt key otherwise surfaces as a ``TypeError`` deep inside the Runner
(often only once training reaches the data loaders, or the end of the first
epoch). :func:`check_config` walks every ``type=`` dict, resolves the class in
the registry the Runner will use, and reports unknown arguments and unknown
types by their config path; the dicts the Runner unpacks without a ``type``
(``randomness``, ``log_processor``, the loops) are checked against what
consumes them, and so are the arguments a class forwards through
``**kwargs``. :func:`check_override_keys` refuses a ``--cfg-options`` key that
names no top-level entry (it would be ignored).
"""
import difflib
import inspect
from typing import Iterator, Optional, Tuple

from mmengine.config import Config, ConfigDict
from mmengine.hooks import CheckpointHook
from mmengine.registry import Registry
from mmengine.runner import (EpochBasedTrainLoop, IterBasedTrainLoop, LogProcessor, Runner,
                             TestLoop, ValLoop)
from torch.utils.data import DataLoader

from vireid_toolbox import registry as R


class ConfigKeyError(ValueError):
    """A config names a class or an argument that does not exist."""


# Top-level config key -> registry of the ``type`` dicts found there.
_TOP_LEVEL = {
    'model': R.MODELS,
    'val_evaluator': R.METRICS,
    'test_evaluator': R.METRICS,
    'param_scheduler': R.PARAM_SCHEDULERS,
    'custom_hooks': R.HOOKS,
    'default_hooks': R.HOOKS,
    'visualizer': R.VISUALIZERS,
    'optim_wrapper': R.OPTIM_WRAPPERS,
    'train_cfg': R.LOOPS,
    'val_cfg': R.LOOPS,
    'test_cfg': R.LOOPS,
    'model_wrapper_cfg': R.MODEL_WRAPPERS,
}
# Nested key -> registry of the dicts under it (other nested dicts keep the parent's).
_NESTED = {
    'dataset': R.DATASETS,
    'pipeline': R.TRANSFORMS,
    'view_pipeline': R.TRANSFORMS,  # VisibleViewsDataset's second-view pipeline
    'transforms': R.TRANSFORMS,
    'sampler': R.DATA_SAMPLERS,
    'batch_sampler': R.DATA_SAMPLERS,
    'optimizer': R.OPTIMIZERS,
    'vis_backends': R.VISBACKENDS,
    'data_preprocessor': R.MODELS,
}
# Keys consumed by someone other than the class they sit in (or free-form).
_SKIPPED = {'init_cfg', 'paramwise_cfg', 'constructor', 'collate_fn', 'dist_cfg', 'mp_cfg'}
_DATALOADER_KEYS = set(inspect.signature(DataLoader).parameters) | {'dataset'}
# Classes taking **kwargs -> what those kwargs are passed on to (its arguments are accepted too).
_KWARGS_FORWARDED_TO = {CheckpointHook: Runner.save_checkpoint}
# Top-level dicts the Runner unpacks without a ``type`` -> their consumer (and the keys it pops).
_UNTYPED = {
    'randomness': lambda cfg: (Runner.set_randomness, ()),
    'log_processor': lambda cfg: (LogProcessor, ()),
    'train_cfg': lambda cfg: (EpochBasedTrainLoop if cfg.get('by_epoch', True) else
                              IterBasedTrainLoop, ('by_epoch', )),
    'val_cfg': lambda cfg: (ValLoop, ()),
    'test_cfg': lambda cfg: (TestLoop, ()),
}
# Top-level keys the Runner reads (Runner.from_cfg) besides its constructor's arguments.
_RUNNER_KEYS = set(inspect.signature(Runner.__init__).parameters) | {'model_wrapper_cfg'}


def _suggest(word: str, candidates) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ''


def _resolve(cfg: dict, registry: Registry, path: str):
    obj_type = cfg['type']
    if not isinstance(obj_type, str):
        return obj_type
    with registry.switch_scope_and_registry(cfg.get('_scope_')) as scoped:
        cls = scoped.get(obj_type)
        if cls is None:
            raise ConfigKeyError(
                f"config key {path}.type: '{obj_type}' is not registered in "
                f'{scoped.scope}::{scoped.name}{_suggest(obj_type, scoped.module_dict)}')
    return cls


def _accepted_arguments(cls) -> Optional[set]:
    """Names a class's constructor takes, or None when it takes ``**kwargs`` it does not forward
    to a known consumer."""
    target = cls.__init__ if inspect.isclass(cls) else cls
    params = inspect.signature(target).parameters.values()
    names = {p.name for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD}
    if len(names) == len(params):
        return names
    forwarded = next((consumer for base, consumer in _KWARGS_FORWARDED_TO.items()
                      if inspect.isclass(cls) and issubclass(cls, base)), None)
    if forwarded is None:
        return None
    return names | _accepted_arguments(forwarded)


def _check_keys(value: dict, accepted: set, name: str, path: str) -> None:
    for key in value:
        if key not in accepted and key not in ('type', '_scope_', *_SKIPPED):
            raise ConfigKeyError(f"config key {path}.{key}: {name} takes no argument '{key}'"
                                 f"{_suggest(key, accepted - {'self', 'runner'})}")


def _children(value, path: str) -> Iterator[Tuple[Optional[str], object, str]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield key, child, f'{path}.{key}'
    elif isinstance(value, (list, tuple)):
        for i, child in enumerate(value):
            yield None, child, f'{path}[{i}]'


def _check_node(value, registry: Registry, path: str) -> None:
    if isinstance(value, dict) and 'type' in value:
        cls = _resolve(value, registry, path)
        accepted = _accepted_arguments(cls)
        if accepted is not None:
            _check_keys(value, accepted, getattr(cls, '__name__', cls), path)
        if value.get('_scope_', registry.scope) != registry.scope:
            return  # a foreign package's sub-config: its nested registries are its own
    for key, child, child_path in _children(value, path):
        if key in _SKIPPED:
            continue
        _check_node(child, _NESTED.get(key, registry), child_path)


def _check_dataloader(name: str, loader: dict) -> None:
    for key in loader:
        if key not in _DATALOADER_KEYS:
            raise ConfigKeyError(f"config key {name}.{key}: not a DataLoader argument"
                                 f'{_suggest(key, _DATALOADER_KEYS)}')
    for key, child, child_path in _children(loader, name):
        if key not in _SKIPPED:
            _check_node(child, _NESTED.get(key, R.DATASETS), child_path)


def drop_init_cfg(node):
    """Remove every ``init_cfg`` (pretrained checkpoints) from a config tree, in place.

    For building a model with random weights and without reading or
    downloading anything (config tests, FLOPs and timing tools).
    """
    if isinstance(node, dict):
        node.pop('init_cfg', None)
        for value in node.values():
            drop_init_cfg(value)
    elif isinstance(node, list):
        for value in node:
            drop_init_cfg(value)
    return node


def _check_untyped(cfg: Config) -> None:
    for name, consumer_of in _UNTYPED.items():
        value = cfg.get(name)
        if isinstance(value, dict) and 'type' not in value:
            consumer, popped = consumer_of(value)
            accepted = _accepted_arguments(consumer)
            if accepted is not None:
                _check_keys(value, accepted | set(popped), consumer.__qualname__, name)


def _momentum_modules(node, path: str) -> Iterator[Tuple[str, str]]:
    """``(config path, class name)`` of every model part that keeps momentum copies."""
    if isinstance(node, dict) and isinstance(node.get('type'), str) and '_scope_' not in node:
        cls = R.MODELS.get(node['type'])
        if callable(getattr(cls, 'momentum_update', None)):
            yield path, node['type']
    for key, child, child_path in _children(node, path):
        yield from _momentum_modules(child, child_path)


def _check_momentum_hook(cfg: Config) -> None:
    """Momentum copies (CMCE's classifiers) only move with MomentumUpdateHook: require it."""
    hooks = [hook.get('type') for hook in cfg.get('custom_hooks') or [] if isinstance(hook, dict)]
    if 'MomentumUpdateHook' in hooks or R.HOOKS.get('MomentumUpdateHook') in hooks:
        return
    for path, name in _momentum_modules(cfg.get('model'), 'model'):
        raise ConfigKeyError(
            f'config key custom_hooks: {path} ({name}) keeps momentum copies that only '
            "MomentumUpdateHook updates; add dict(type='MomentumUpdateHook') to custom_hooks")


def check_override_keys(cfg: Config, options: Optional[dict]) -> None:
    """Refuse ``--cfg-options`` keys whose top-level name is neither in ``cfg`` nor read by the
    Runner: merged, they would add an entry nothing reads (a misspelt ``train_cfg`` is ignored)."""
    known = set(cfg.keys()) | _RUNNER_KEYS
    for key in options or {}:
        top = key.split('.')[0]
        if top not in known:
            raise ConfigKeyError(f'config key {key} (--cfg-options): {top!r} is not a key of the '
                                 f'config, nothing would read it{_suggest(top, known)}')


def check_config(cfg: Config) -> None:
    """Raise :class:`ConfigKeyError` naming the first unknown type or argument in ``cfg``, or a
    model with momentum copies and no ``MomentumUpdateHook``."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if isinstance(cfg.get(name), (dict, ConfigDict)):
            _check_dataloader(name, cfg[name])
    for name, registry in _TOP_LEVEL.items():
        value = cfg.get(name)
        if name == 'default_hooks' and isinstance(value, dict):
            for hook_name, hook in value.items():
                _check_node(hook, registry, f'default_hooks.{hook_name}')
        elif value is not None:
            _check_node(value, registry, name)
    _check_untyped(cfg)
    _check_momentum_hook(cfg)
