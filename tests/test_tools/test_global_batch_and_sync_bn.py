"""``batch_size_is_global`` and ``sync_bn``, as tools/train.py applies them before the Runner."""
import os.path as osp

import pytest
import torch

from conftest import REPO
from vireid_toolbox.utils.tool_utils import (UserInputError, check_sync_bn, launched_world_size,
                                             load_config, split_global_batch)

HCTRI_SYSU = osp.join(REPO, 'configs/hctri/hctri_r50_1xb96-60e_sysu-mm01-288x144.py')


def batch_of(cfg):
    loader = cfg.train_dataloader
    return loader.batch_size, loader.sampler.num_ids, loader.sampler.num_instances, \
        loader.sampler.batch_size


def test_the_global_batch_is_shared_out_over_the_processes():
    cfg = load_config(HCTRI_SYSU, {'batch_size_is_global': True})
    assert batch_of(cfg) == (96, 6, 8, 96)
    split_global_batch(cfg, 2)
    assert batch_of(cfg) == (48, 3, 8, 48)
    cfg = load_config(HCTRI_SYSU, {'batch_size_is_global': True})
    split_global_batch(cfg, 1)
    assert batch_of(cfg) == (96, 6, 8, 96)


def test_by_default_the_batch_is_per_process():
    cfg = load_config(HCTRI_SYSU)
    assert cfg.batch_size_is_global is False  # the default runtime says so explicitly
    split_global_batch(cfg, 4)
    assert batch_of(cfg) == (96, 6, 8, 96)


def test_a_batch_that_does_not_divide_is_named():
    cfg = load_config(HCTRI_SYSU, {'batch_size_is_global': True})
    with pytest.raises(UserInputError, match=r'train_dataloader.sampler.num_ids=6 does not divide '
                                             r'evenly over 4 processes'):
        split_global_batch(cfg, 4)
    assert batch_of(cfg) == (96, 6, 8, 96)  # nothing changed half-way


@pytest.mark.parametrize('launcher, env, size', [
    ('none', {'WORLD_SIZE': '4'}, 1), ('pytorch', {'WORLD_SIZE': '4'}, 4),
    ('slurm', {'SLURM_NTASKS': '3', 'WORLD_SIZE': '8'}, 3)])
def test_world_size_comes_from_the_launcher(monkeypatch, launcher, env, size):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert launched_world_size(launcher) == size


def test_sync_bn_without_cuda_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = load_config(HCTRI_SYSU, {'sync_bn': 'torch'})
    with pytest.raises(UserInputError, match="sync_bn='torch' needs CUDA devices"):
        check_sync_bn(cfg, 'pytorch')
    check_sync_bn(cfg, 'none')  # one process: mmengine leaves BatchNorm as it is
    check_sync_bn(load_config(HCTRI_SYSU), 'pytorch')
