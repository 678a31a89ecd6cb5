"""Every config under configs/ loads, passes the key check and builds its parts."""
import ast
import os.path as osp
from glob import glob

import pytest
from mmengine.config import Config

from vireid_toolbox.registry import DATASETS, METRICS, MODELS
from vireid_toolbox.utils import check_config, register_all_modules
from vireid_toolbox.utils.config_check import drop_init_cfg

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)
MAX_INHERITANCE = 2


def _config_id(path):
    return osp.relpath(path, osp.join(REPO, 'configs'))


def _bases(path):
    """The files a config's ``_base_`` names, resolved like mmengine does."""
    tree = ast.parse(open(path).read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets):
            value = ast.literal_eval(node.value)
            values = [value] if isinstance(value, str) else value
            return [osp.normpath(osp.join(osp.dirname(path), v)) for v in values]
    return []


def _depth(path):
    bases = _bases(path)
    return 0 if not bases else 1 + max(_depth(b) for b in bases)


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_there_are_configs():
    assert CONFIGS, 'no configs found'


@pytest.mark.parametrize('path', CONFIGS, ids=_config_id)
def test_config_builds(path, capsys):
    register_all_modules()
    assert _depth(path) <= MAX_INHERITANCE, f'{path} inherits more than {MAX_INHERITANCE} levels'
    cfg = Config.fromfile(path)
    check_config(cfg)
    print(cfg.pretty_text)  # the resolved config, visible with pytest -s
    model_cfg = cfg.model.to_dict()
    drop_init_cfg(model_cfg)
    model = MODELS.build(model_cfg)
    assert sum(p.numel() for p in model.parameters()) > 0
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader):
            dataset_cfg = cfg[loader].dataset.to_dict()
            dataset_cfg['lazy_init'] = True
            DATASETS.build(dataset_cfg)
    for evaluator in ('val_evaluator', 'test_evaluator'):
        if cfg.get(evaluator):
            for metric in _as_list(cfg[evaluator]):
                METRICS.build(metric)
