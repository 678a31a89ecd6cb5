"""The learning rate of every epoch of every shipped paper schedule is the paper's equation.

The configs' optimizer and schedulers are built as the Runner builds them and stepped once per
epoch (as ``ParamSchedulerHook`` steps by-epoch schedulers); the lr of each epoch is compared
with the equation written out here. The synthetic CPU configs use a schedule of their own (no
paper's) and are left out.
"""
import os.path as osp
from functools import lru_cache
from glob import glob

import pytest
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from conftest import REPO
from vireid_toolbox.registry import PARAM_SCHEDULERS
from vireid_toolbox.utils import register_all_modules

CONFIGS = sorted(p for p in glob(osp.join(REPO, 'configs', '*', '*.py'))
                 if 'synthetic' not in p and '_base_' not in p)


def admpff_eq11(epoch):
    """ADMPFF-Net eq. 11, also the HcTri, AGW and CAJ codes' schedule."""
    if epoch < 10:
        return 0.1 * (epoch + 1) / 10
    return 0.1 if epoch < 20 else 0.01 if epoch < 50 else 0.001


def deen_lr(epoch):
    """The DEEN code's adjust_learning_rate: warm-up, then x0.1 at epochs 20 and 80."""
    if epoch < 10:
        return 0.1 * (epoch + 1) / 10
    return 0.1 if epoch < 20 else 0.01 if epoch < 80 else 0.001


def pdfenet_lr(epoch):
    """PDFENet §4.2: 2e-4, x0.1 at epochs 80 and 120."""
    return 2e-4 * 0.1**((epoch >= 80) + (epoch >= 120))


def expected_recipe(name):
    """(lr equation, backbone lr multiplier, nesterov) of the recipe a config names."""
    if name.startswith('pdfenet'):
        return pdfenet_lr, 1.0, False
    if name.startswith('deen'):
        return deen_lr, 0.1, True  # the code's 0.1x lr for the pretrained layers
    if name.startswith(('hctri', 'agw', 'caj')) or 'basecode-optim' in name:
        return admpff_eq11, 0.1, True  # the HcTri / AGW / CAJ reference code's optimizer
    return admpff_eq11, 1.0, False  # ADMPFF-Net as printed


@lru_cache(maxsize=None)
def epoch_lrs(schedule: str):
    """``[(backbone lr, head lr)]`` of every epoch, and the optimizer, of a schedule given as
    ``repr((optim_wrapper, param_scheduler, max_epochs))`` (configs share a few schedules)."""
    optim_cfg, scheduler_cfgs, max_epochs = eval(schedule)
    model = nn.ModuleDict(dict(backbone=nn.Linear(2, 2), head=nn.Linear(2, 2)))
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    schedulers = [PARAM_SCHEDULERS.build(dict(scheduler, optimizer=optim_wrapper))
                  for scheduler in scheduler_cfgs]
    assert all(s.by_epoch for s in schedulers), 'the papers step the lr once per epoch'
    lrs = []
    for _ in range(max_epochs):
        groups = optim_wrapper.optimizer.param_groups
        lrs.append((groups[0]['lr'], groups[-1]['lr']))
        for scheduler in schedulers:
            scheduler.step()
    return lrs, optim_wrapper.optimizer


@pytest.mark.filterwarnings('ignore:Detected call of `scheduler.step')  # no optimizer step here
@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.basename(p))
def test_every_epoch_follows_the_papers_equation(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    name = osp.basename(path)
    equation, backbone_mult, nesterov = expected_recipe(name)
    lrs, optimizer = epoch_lrs(repr((cfg.optim_wrapper.to_dict(),
                                     [s.to_dict() for s in cfg.param_scheduler],
                                     cfg.train_cfg.max_epochs)))
    for epoch, (backbone_lr, head_lr) in enumerate(lrs):
        assert head_lr == pytest.approx(equation(epoch), rel=1e-9), f'{name}: epoch {epoch}'
        assert backbone_lr == pytest.approx(backbone_mult * equation(epoch), rel=1e-9), \
            f'{name}: backbone, epoch {epoch}'
    assert optimizer.defaults.get('nesterov', False) == nesterov, name
    assert optimizer.defaults['weight_decay'] == 5e-4, name
