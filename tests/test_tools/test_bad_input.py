"""Bad input to tools/train.py and tools/test.py: exit status 2, one line on stderr naming the
culprit (no config dump, no stack trace), and what an earlier run wrote is left intact.

The tools run in-process (``run_tool_in_process``); ``test_train_test_tools.py`` covers the same
``one_line_errors`` path through real subprocesses."""
import hashlib
import json
import os
import os.path as osp
import shutil
import warnings

import numpy as np
import pytest
import torch

from conftest import IN_PROCESS_EVALUATION, REPO, make_workspace, run_tool_in_process, write_config

HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
TRAIN = osp.join(REPO, 'tools/train.py')
TEST = osp.join(REPO, 'tools/test.py')
WORK_DIR = 'work_dirs/run'


@pytest.fixture
def workspace(tmp_path, tiny_sysu_root):
    """A workspace on a private copy of the tiny set, with the output of an earlier run."""
    root = tmp_path / 'tiny_sysu_mm01'
    shutil.copytree(tiny_sysu_root, root)
    workspace = make_workspace(tmp_path / 'ws', str(root))
    earlier = workspace / WORK_DIR
    earlier.mkdir(parents=True)
    torch.save(dict(state_dict=dict(w=torch.ones(2))), earlier / 'epoch_1.pth')
    (earlier / 'last_checkpoint').write_text(str(earlier / 'epoch_1.pth'))
    return workspace


def outputs(workspace):
    """Digest of every file an earlier run left in the work directory."""
    found = {}
    for folder, _, files in os.walk(workspace / WORK_DIR):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                found[osp.relpath(path, workspace)] = hashlib.sha256(f.read()).hexdigest()
    return found


def run_badly(workspace, script, *args, culprits):
    """Run a tool that must refuse its input; check status, the one line and the outputs."""
    before = outputs(workspace)
    status, stdout, stderr = run_tool_in_process(script, *args, '--work-dir', WORK_DIR,
                                                 cwd=workspace)
    assert status == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f'{osp.basename(script)}: error: ')
    for culprit in culprits:
        assert culprit in lines[0], lines[0]
    assert 'Traceback' not in stdout + stderr
    after = outputs(workspace)
    assert {path: after.get(path) for path in before} == before
    return lines[0], stdout


def data_root(workspace):
    return osp.realpath(workspace / 'data' / 'synthetic_sysu_mm01')


# --- config keys -------------------------------------------------------------------------------

@pytest.mark.parametrize('option, culprits', [
    ('trian_cfg.max_epochs=1', ['trian_cfg', "did you mean 'train_cfg'"]),
    ('default_hooks.checkpoint.intervl=2',
     ['default_hooks.checkpoint.intervl', "did you mean 'interval'"]),
    ('randomness.seeed=1', ['randomness.seeed', "did you mean 'seed'"]),
    ('train_cfg.max_epoch=1', ['train_cfg.max_epoch', "did you mean 'max_epochs'"]),
])
def test_misspelt_key_is_refused_before_training(workspace, option, culprits):
    _, stdout = run_badly(workspace, TRAIN, HCTRI, '--cfg-options', option, culprits=culprits)
    assert 'Config:' not in stdout  # refused before the Runner logs the config


def test_cmce_without_its_momentum_hook_is_refused(workspace):
    pdfenet = osp.join(REPO, 'configs/pdfenet/pdfenet_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
    config = write_config(workspace, pdfenet, 'custom_hooks = []\n')
    run_badly(workspace, TRAIN, config,
              culprits=['model.head.loss_cmce (CMCELoss)', "dict(type='MomentumUpdateHook')"])


def cache_dir(cfg, loader):
    pipeline = cfg[loader].dataset.pipeline
    return next(t.cache_dir for t in pipeline if t.type == 'LoadCachedHeatmaps')


def test_paths_derived_from_a_data_root_follow_its_override():
    from vireid_toolbox.utils import ConfigKeyError
    from vireid_toolbox.utils.tool_utils import load_config
    old, new = 'data/synthetic_sysu_mm01', 'data/other'

    cfg = load_config(HCTRI, {'train_dataloader.dataset.data_root': new})
    assert cache_dir(cfg, 'train_dataloader') == f'{new}/pose_cache'
    assert cache_dir(cfg, 'test_dataloader') == f'{old}/pose_cache'
    assert cfg.test_evaluator.data_root == old

    cfg = load_config(HCTRI, {'test_dataloader.dataset.data_root': new})
    assert cache_dir(cfg, 'test_dataloader') == f'{new}/pose_cache'
    assert cfg.test_evaluator.data_root == new
    assert cache_dir(cfg, 'train_dataloader').startswith(old)

    cfg = load_config(HCTRI, {'data_root': new, 'test_dataloader.dataset.pipeline.1.cache_dir': 'c',
                              'model_selection': True})
    assert cfg.train_dataloader.dataset.data_root == new
    assert cache_dir(cfg, 'train_dataloader') == f'{new}/pose_cache'
    assert cache_dir(cfg, 'test_dataloader') == 'c'  # set explicitly: kept
    # the model-selection loader is made from the test loader after the override
    assert cfg.val_dataloader.dataset.data_root == new and cache_dir(cfg, 'val_dataloader') == 'c'
    assert cfg.test_evaluator.data_root == new
    assert all(metric.data_root == new for metric in cfg.val_evaluator)
    assert cfg.pose_cache == f'{new}/pose_cache'

    with pytest.raises(ConfigKeyError, match=r"test_evaluator.data_root: 'data/other' is not the "
                                             r"data root of test_dataloader.dataset"):
        load_config(HCTRI, {'test_evaluator.data_root': new})


# --- data ----------------------------------------------------------------------------------------

def test_missing_data_root_is_one_line_without_config_dump(workspace):
    _, stdout = run_badly(workspace, TRAIN, HCTRI, '--cfg-options', 'data_root=data/no_such_root',
                          culprits=['train_dataloader.dataset', 'data/no_such_root',
                                    'does not exist'])
    assert stdout == ''


def test_truncated_heatmaps_are_named(workspace):
    heatmaps = osp.join(data_root(workspace), 'pose_cache', 'heatmaps.npy')
    with open(heatmaps, 'r+b') as f:
        f.truncate(os.path.getsize(heatmaps) // 2)
    run_badly(workspace, TRAIN, HCTRI,
              culprits=['data/synthetic_sysu_mm01/pose_cache/heatmaps.npy', 'truncated'])


def test_pose_cache_of_other_images_is_refused(workspace):
    index = osp.join(data_root(workspace), 'pose_cache', 'index.json')
    with open(osp.join(data_root(workspace), 'exp', 'train_id.txt')) as f:
        train_ids = {int(pid) for pid in f.read().split(',')}
    with open(index) as f:
        text = f.read()
    # an image the training split reads (train.py checks the data sets it will read)
    first = next(path for path in json.loads(text) if int(path.split('/')[1]) in train_ids)
    with open(index, 'w') as f:
        f.write(text.replace(first, 'cam1/9999/0001.jpg', 1))
    run_badly(workspace, TRAIN, HCTRI, culprits=['pose_cache', f'the first {first!r}'])


def test_pose_cache_with_other_row_count_is_refused(workspace):
    done = osp.join(data_root(workspace), 'pose_cache', 'done.npy')
    np.save(done, np.ones(len(np.load(done)) - 1, dtype=bool))
    run_badly(workspace, TRAIN, HCTRI,
              culprits=['data/synthetic_sysu_mm01/pose_cache/done.npy', 'rows but index.json'])


@pytest.fixture
def regdb_root(tmp_path):
    from vireid_toolbox.datasets.synthetic import make_synthetic_regdb
    root = str(tmp_path / 'regdb')
    make_synthetic_regdb(root, num_ids=4, images_per_id=2, num_trials=1, size=(64, 32),
                         overwrite=True, seed=0)
    return root


def test_image_listed_by_a_split_but_missing_is_named(workspace, regdb_root):
    with open(osp.join(regdb_root, 'idx', 'train_thermal_1.txt')) as f:
        listed = f.readline().split()[0]
    os.remove(osp.join(regdb_root, listed))
    run_badly(workspace, TRAIN, HCTRI, '--cfg-options', 'train_dataloader.dataset.type=RegDBDataset',
              f'train_dataloader.dataset.data_root={regdb_root}',
              culprits=['train_thermal_1.txt', f'lists {listed}', '1 of the'])


def test_regdb_trial_out_of_range_is_named(workspace, regdb_root):
    run_badly(workspace, TRAIN, HCTRI, '--cfg-options', 'train_dataloader.dataset.type=RegDBDataset',
              f'train_dataloader.dataset.data_root={regdb_root}', 'train_dataloader.dataset.trial=11',
              culprits=['RegDB trial', 'got 11'])


def test_llcm_root_in_another_layout_is_named(workspace):
    run_badly(workspace, TRAIN, HCTRI, '--cfg-options', 'train_dataloader.dataset.type=LLCMDataset',
              culprits=['not in the LLCM layout', 'idx/train_vis.txt does not exist'])


def test_deleted_sysu_training_image_is_reported(tmp_path, tiny_sysu_root):
    """The counts of the official rand_perm_cam.mat (here: written for the tiny set) are known."""
    from scipy.io import savemat

    from vireid_toolbox.datasets import SYSUMM01Dataset
    root = tmp_path / 'sysu'
    shutil.copytree(tiny_sysu_root, root)
    train = SYSUMM01Dataset(str(root), split='train', lazy_init=False)
    counts = {}
    for info in (train.get_data_info(i) for i in range(len(train))):
        counts[(info['camera'], info['pid'])] = counts.get((info['camera'], info['pid']), 0) + 1
    max_id = max(pid for _, pid in counts)
    cells = np.empty((6, 1), dtype=object)
    for camera in range(1, 7):
        per_id = np.empty((max_id, 1), dtype=object)
        for pid in range(1, max_id + 1):
            n = counts.get((camera, pid), 0)
            per_id[pid - 1, 0] = np.tile(np.arange(1, n + 1), (10, 1)) if n else np.zeros((0, 0))
        cells[camera - 1, 0] = per_id
    savemat(str(root / 'exp' / 'rand_perm_cam.mat'), {'rand_perm_cam': cells})
    with warnings.catch_warnings(record=True) as complete:
        warnings.simplefilter('always')
        SYSUMM01Dataset(str(root), split='train')
    assert not [w for w in complete if 'missing' in str(w.message)]

    victim = next(info for info in (train.get_data_info(i) for i in range(len(train)))
                  if info['camera'] == 4)
    os.remove(victim['img_path'])
    with pytest.warns(UserWarning) as caught:
        SYSUMM01Dataset(str(root), split='train')
    message = next(str(w.message) for w in caught if 'missing' in str(w.message))
    assert '1 images of the train split are missing' in message
    assert f'cam4: 1), the first in cam4/{victim["pid"]:04d}, which holds 0 of 1' in message


# --- checkpoints --------------------------------------------------------------------------------

def hctri_state_dict():
    from mmengine.config import Config

    from vireid_toolbox.registry import MODELS
    from vireid_toolbox.utils import register_all_modules
    register_all_modules()
    return MODELS.build(Config.fromfile(HCTRI).model).state_dict()


def test_truncated_checkpoint_is_named_corrupt(workspace):
    checkpoint = workspace / 'truncated.pth'
    torch.save(dict(meta=dict(), state_dict=hctri_state_dict()), checkpoint)
    with open(checkpoint, 'r+b') as f:
        f.truncate(checkpoint.stat().st_size // 2)
    line, _ = run_badly(workspace, TEST, HCTRI, checkpoint,
                        culprits=[str(checkpoint), 'corrupt or truncated'])
    assert 'does not fit' not in line


class RunsCode:
    """Pickled as a call of ``os.getcwd``: loading it would run code from the file."""

    def __reduce__(self):
        return os.getcwd, ()


def test_checkpoint_carrying_code_is_named(workspace):
    checkpoint = workspace / 'runs_code.pth'
    torch.save(dict(meta=RunsCode(), state_dict=dict(w=torch.zeros(1))), checkpoint)
    run_badly(workspace, TEST, HCTRI, checkpoint,
              culprits=[str(checkpoint), 'refused', 'could run code', 'getcwd'])


# --- divergence ---------------------------------------------------------------------------------

NAN_RUN = """
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(batch_size=8, num_ids=2, num_instances=2))
""" + IN_PROCESS_EVALUATION + """
train_cfg = dict(max_epochs=3, val_interval=100)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(save_best=None))
custom_hooks = [dict(type='PoisonWeightsHook', at_iter=5)]
visualizer = dict(name='nan_loss_run')
"""


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(workspace):
    from mmengine.hooks import Hook

    from vireid_toolbox.registry import HOOKS

    @HOOKS.register_module(force=True)
    class PoisonWeightsHook(Hook):
        """Sets the backbone's first weights to NaN before iteration ``at_iter`` (0-based)."""

        def __init__(self, at_iter):
            self.at_iter = at_iter

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if runner.iter == self.at_iter:
                model = getattr(runner.model, 'module', runner.model)
                next(model.backbone.parameters()).data.fill_(float('nan'))

    shutil.rmtree(workspace / WORK_DIR)  # this run writes the earlier output itself
    config = write_config(workspace, HCTRI, NAN_RUN)
    status, _, stderr = run_tool_in_process(TRAIN, config, '--work-dir', WORK_DIR, cwd=workspace)
    assert status == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    work_dir = workspace / WORK_DIR
    kept = work_dir / 'epoch_1.pth'
    # the tiny set gives 4 iterations per epoch: iteration 6 is the 2nd of epoch 2
    assert 'training stopped at iteration 6 (epoch 2): the loss is nan' in lines[0]
    assert 'loss_id=nan' in lines[0] and 'loss_tri=nan' in lines[0]
    assert lines[0].endswith(f'the last good checkpoint is {kept}')
    assert not (work_dir / 'epoch_2.pth').exists()
    from conftest import checkpoint_state_dict
    weights = checkpoint_state_dict(str(kept))
    assert all(torch.isfinite(value).all() for value in weights.values()
               if value.is_floating_point())
