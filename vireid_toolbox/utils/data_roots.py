"""Paths derived from a data root follow an override of that root.

A config computes its derived paths once, when it is read
(``pose_cache = data_root + '/pose_cache'``), so overriding ``data_root`` or
``train_dataloader.dataset.data_root`` alone would read the new images with
the old pose cache and evaluate against the old protocol files, silently.
:func:`merge_following_data_roots` merges the overrides and then rewrites
every string that starts with an overridden root:

- ``data_root`` (the top-level variable): everywhere in the config;
- ``<split>_dataloader.dataset.data_root``: in that data loader, and in the
  evaluator of the same split (``val_evaluator``, ``test_evaluator``).

A key the overrides set explicitly is left as given. An evaluator whose
``data_root`` then differs from its data loader's is an error.
"""
from typing import Dict, Iterator, Optional, Set

from mmengine.config import Config

from .config_check import ConfigKeyError

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
_EVALUATOR_OF = {'val_dataloader': 'val_evaluator', 'test_dataloader': 'test_evaluator'}


def _loader_root(cfg: Config, loader: str) -> Optional[str]:
    dataset = (cfg.get(loader) or {}).get('dataset')
    root = dataset.get('data_root') if isinstance(dataset, dict) else None
    return root if isinstance(root, str) else None


def _under(value: str, root: str) -> bool:
    return value == root or value.startswith(root.rstrip('/') + '/')


def _rebased_strings(node, pairs, old: str, new: str, path: str,
                     explicit: Set[str]) -> Iterator[tuple]:
    """``(container, key, new value)`` of every string under ``old`` in ``node`` (whose
    ``(key, child)`` are ``pairs``) and below it, except at the ``explicit`` config paths."""
    for key, child in pairs:
        child_path = f'{path}.{key}' if path else str(key)
        if child_path in explicit:
            continue
        if isinstance(child, str) and _under(child, old):
            yield node, key, new + child[len(old):]
        elif isinstance(child, dict):
            yield from _rebased_strings(child, child.items(), old, new, child_path, explicit)
        elif isinstance(child, list):
            yield from _rebased_strings(child, enumerate(child), old, new, child_path, explicit)


def merge_following_data_roots(cfg: Config, options: Optional[dict]) -> None:
    """``cfg.merge_from_dict(options)``, derived paths following overridden data roots.

    Raises:
        ConfigKeyError: An evaluator's ``data_root`` is not its data loader's.
    """
    if options:
        _merge(cfg, options)
    _check_evaluator_roots(cfg)


def _merge(cfg: Config, options: dict) -> None:
    before: Dict[str, Optional[str]] = {name: _loader_root(cfg, name) for name in _LOADERS}
    before['data_root'] = cfg.get('data_root')
    cfg.merge_from_dict(options)
    explicit = set(options)
    moves = []
    if isinstance(before['data_root'], str) and cfg.get('data_root') != before['data_root']:
        moves.append((list(cfg.keys()), before['data_root'], cfg.data_root))
    for loader in _LOADERS:
        new = _loader_root(cfg, loader)
        if before[loader] and new and new != before[loader]:
            moves.append(([loader, _EVALUATOR_OF.get(loader, loader)], before[loader], new))
    # collected first, applied after: a dict that two loaders share moves once
    edits = [edit for keys, old, new in moves for edit in _rebased_strings(
        cfg, [(key, cfg[key]) for key in keys if key in cfg], old, new, '', explicit)]
    for container, key, value in edits:
        container[key] = value


def _check_evaluator_roots(cfg: Config) -> None:
    for loader, evaluator_key in _EVALUATOR_OF.items():
        evaluator, root = cfg.get(evaluator_key), _loader_root(cfg, loader)
        evaluators = evaluator if isinstance(evaluator, list) else [evaluator]
        for i, metric in enumerate(evaluators):
            metric_root = metric.get('data_root') if isinstance(metric, dict) else None
            if isinstance(metric_root, str) and root is not None and metric_root != root:
                where = evaluator_key + (f'.{i}' if isinstance(evaluator, list) else '')
                raise ConfigKeyError(
                    f'config key {where}.data_root: {metric_root!r} is not the data root of '
                    f'{loader}.dataset ({root!r}): the metric would read the protocol of '
                    'another data set')
