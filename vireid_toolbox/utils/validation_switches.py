"""What validates during training: nothing by default, model selection or test monitoring on demand.

The papers train a fixed schedule and report the last epoch, so the shipped
configs define no validation loop and keep no "best" checkpoint: a checkpoint
chosen by a test-split metric reports a number selected on the test set. Two
top-level config switches (``configs/_base_/default_runtime.py``) add one:

- ``model_selection=True`` validates on identities held out of *training*
  (SYSU-MM01's official val ids, a seeded ``val_fraction`` of the training ids
  for RegDB and LLCM): the training set loses those ids (``hold_out_val``),
  the metric keys read ``val/...`` and ``CheckpointHook`` keeps the best
  checkpoint by the first of them.
- ``monitor_test_split=True`` evaluates the test split every ``val_interval``
  epochs under keys starting with :data:`MONITOR_PREFIX`, keeps no best
  checkpoint, and changes nothing else: for watching a run, never for reporting.

:func:`configure_validation` turns the switches into the Runner's
``val_dataloader`` / ``val_evaluator`` / ``val_cfg`` and the checkpoint hook's
``save_best``; the tools apply it to every config they load.
"""
import copy
import inspect

from mmengine.config import Config, ConfigDict

from vireid_toolbox.registry import METRICS

VAL_PREFIX = 'val'
"""Key prefix of the model-selection metrics."""
MONITOR_PREFIX = 'test-split-monitor-not-a-result'
"""Key prefix of the test-split metrics logged during training."""
VAL_KEYS = ('val_dataloader', 'val_evaluator', 'val_cfg')


def _metrics(evaluator):
    return evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]


def _prefixed(metric: dict, prefix: str) -> dict:
    metric = copy.deepcopy(metric)
    metric['prefix'] = prefix
    return metric


def _monitor_metric(metric: dict) -> dict:
    own = metric.get('prefix') or METRICS.get(metric['type']).default_prefix
    return _prefixed(metric, f'{MONITOR_PREFIX}/{own}')


def _val_metric(metric: dict) -> dict:
    metric = _prefixed(metric, VAL_PREFIX)
    if 'split' in inspect.signature(METRICS.get(metric['type'])).parameters:
        metric['split'] = 'val'
    return metric


def inner_train_set(cfg: Config) -> ConfigDict:
    """The training data set's config, inside any wrapper (e.g. ``VisibleViewsDataset``)."""
    dataset = cfg.train_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    return dataset


def _val_loader(cfg: Config) -> ConfigDict:
    """The test loader on the validation split of the same data, with the training set's fraction."""
    loader = copy.deepcopy(cfg.test_dataloader)
    train_set = inner_train_set(cfg)
    loader.dataset.split = 'val'
    if 'val_fraction' in train_set:
        loader.dataset.val_fraction = train_set.val_fraction
    return loader


def configure_validation(cfg: Config) -> None:
    """Set the validation loop and the best-checkpoint rule from the two switches (in place).

    Raises:
        ValueError: Both switches are on (one validation loop cannot do both), or the config
            writes a validation key itself (the switches would replace it without a word).
    """
    selection = bool(cfg.get('model_selection', False))
    monitor = bool(cfg.get('monitor_test_split', False))
    if selection and monitor:
        raise ValueError('config keys model_selection and monitor_test_split are both True: the '
                         'validation loop holds one split, choose one')
    written = [key for key in VAL_KEYS if cfg.get(key) is not None]
    if written:
        raise ValueError(f'config key {written[0]} is set: validation during training is made by '
                         'the switches model_selection (held-out training ids) and '
                         'monitor_test_split (the test split, never for reporting); remove '
                         f'{", ".join(written)} and set one of them')
    checkpoint_hook = cfg.get('default_hooks', {}).get('checkpoint')
    if checkpoint_hook is not None:
        checkpoint_hook.save_best = 'auto' if selection else None
        checkpoint_hook.rule = 'greater' if selection else None
    if not (selection or monitor):
        for key in VAL_KEYS:
            cfg[key] = None
        return
    evaluator = cfg.test_evaluator
    cfg.val_cfg = dict(type='ValLoop')
    if monitor:
        cfg.val_dataloader = copy.deepcopy(cfg.test_dataloader)
        cfg.val_evaluator = [_monitor_metric(metric) for metric in _metrics(evaluator)]
        return
    inner_train_set(cfg).hold_out_val = True
    cfg.val_dataloader = _val_loader(cfg)
    cfg.val_evaluator = [_val_metric(metric) for metric in _metrics(evaluator)]
