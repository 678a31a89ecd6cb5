"""No shipped config selects anything on the test split; the validation switches do what they say."""
import copy
import os.path as osp
from glob import glob

import pytest
from mmengine.config import Config

from conftest import REPO
from vireid_toolbox.registry import DATASETS, METRICS
from vireid_toolbox.utils import configure_validation, register_all_modules
from vireid_toolbox.utils.tool_utils import UserInputError, load_config
from vireid_toolbox.utils.validation_switches import (MONITOR_PREFIX, VAL_KEYS, VAL_PREFIX,
                                                     inner_train_set)

CONFIGS = sorted(p for p in glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


def _config_id(path):
    return osp.relpath(path, osp.join(REPO, 'configs'))


def _metrics(evaluator):
    return evaluator if isinstance(evaluator, list) else [evaluator]


@pytest.fixture(scope='module', params=CONFIGS, ids=_config_id)
def shipped(request):
    register_all_modules()
    return Config.fromfile(request.param)


def test_shipped_config_validates_nothing_and_keeps_no_best(shipped):
    assert shipped.model_selection is False and shipped.monitor_test_split is False
    assert not shipped.default_hooks.checkpoint.get('save_best'), 'a best checkpoint is kept'
    for key in VAL_KEYS:
        assert shipped.get(key) is None, f'{key} is set: training would validate'
    assert shipped.test_dataloader.dataset.split == 'test'
    cfg = copy.deepcopy(shipped)
    configure_validation(cfg)  # what the tools do with every config
    assert all(cfg[key] is None for key in VAL_KEYS) and cfg.default_hooks.checkpoint.save_best is None


def test_model_selection_validates_on_held_out_training_ids(shipped):
    cfg = copy.deepcopy(shipped)
    cfg.model_selection = True
    configure_validation(cfg)
    assert inner_train_set(cfg).hold_out_val is True  # inside a wrapper such as CAJ's views
    assert cfg.val_dataloader.dataset.split == 'val'
    assert cfg.default_hooks.checkpoint.save_best == 'auto'
    for metric in cfg.val_evaluator:
        assert metric.prefix == VAL_PREFIX
        if metric.type != 'RegDBMetric':  # RegDB's metric works on whatever set it is given
            assert metric.split == 'val'
        METRICS.build(metric)
    for dataset in (cfg.train_dataloader.dataset, cfg.val_dataloader.dataset):
        DATASETS.build(dict(dataset.to_dict(), lazy_init=True))


def test_test_monitor_is_labelled_and_selects_nothing(shipped):
    cfg = copy.deepcopy(shipped)
    cfg.monitor_test_split = True
    configure_validation(cfg)
    assert cfg.val_dataloader == cfg.test_dataloader
    assert cfg.default_hooks.checkpoint.save_best is None
    assert 'hold_out_val' not in inner_train_set(cfg)
    for metric, test_metric in zip(cfg.val_evaluator, _metrics(cfg.test_evaluator)):
        own = METRICS.get(test_metric.type).default_prefix
        assert metric.prefix == f'{MONITOR_PREFIX}/{own}'


def test_both_switches_are_refused(tmp_path):
    path = tmp_path / 'both.py'
    path.write_text(f"_base_ = {CONFIGS[0]!r}\nmodel_selection = True\nmonitor_test_split = True\n")
    with pytest.raises(UserInputError, match='model_selection and monitor_test_split'):
        load_config(str(path))


@pytest.mark.parametrize('key, value', [
    ('val_dataloader', '{{_base_.test_dataloader}}'),  # a loop of one's own on the test split
    ('val_evaluator', '{{_base_.test_evaluator}}'),
    ('val_cfg', "dict(type='ValLoop')"),
])
def test_validation_written_by_hand_is_refused(tmp_path, key, value):
    """A validation key of one's own would be replaced or dropped by the switches: refused, named."""
    path = tmp_path / 'own_val.py'
    path.write_text(f'_base_ = {CONFIGS[0]!r}\n{key} = {value}\n')
    with pytest.raises(UserInputError, match=f'own_val.py: config key {key} is set: validation'):
        load_config(str(path))
    load_config(str(path), {key: None})  # what device_check.py passes: accepted
