"""tools/train.py, tools/test.py and tools/dist_train.sh as a user runs them (subprocesses)."""
import hashlib
import os
import os.path as osp
import sys

import pytest
import torch

from conftest import (IN_PROCESS_EVALUATION, REPO, checkpoint_state_dict, make_workspace, run_tool,
                      tool_env, write_config)
from vireid_toolbox.evaluation.metrics_file import read_metrics_file

HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
TRAIN = osp.join(REPO, 'tools/train.py')
TEST = osp.join(REPO, 'tools/test.py')
# in-process loading and deterministic kernels: two runs of the same epochs give the same weights
TINY_RUN = """
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(batch_size=8, num_ids=2, num_instances=2))
""" + IN_PROCESS_EVALUATION + """
train_cfg = dict(max_epochs={max_epochs}, val_interval=100)
randomness = dict(seed=0, deterministic=True)
default_hooks = dict(logger=dict(interval=1))
"""


@pytest.fixture
def workspace(tmp_path, tiny_sysu_root):
    return make_workspace(tmp_path, tiny_sysu_root)


def tiny_config(workspace, max_epochs):
    return write_config(workspace, HCTRI, TINY_RUN.format(max_epochs=max_epochs),
                        name=f'tiny_{max_epochs}e.py')


def assert_one_line_error(proc, *culprits):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for culprit in culprits:
        assert culprit in lines[0]


def test_missing_config_file_is_one_line(workspace):
    proc = run_tool(TRAIN, 'configs/no_such_config.py', check=False, cwd=workspace)
    assert_one_line_error(proc, 'no_such_config.py', 'does not exist')


def test_missing_checkpoint_is_one_line(workspace):
    proc = run_tool(TEST, HCTRI, 'missing/epoch_9.pth', check=False, cwd=workspace)
    assert_one_line_error(proc, 'missing/epoch_9.pth')
    proc = run_tool(TRAIN, HCTRI, '--resume', 'missing/epoch_9.pth', check=False, cwd=workspace)
    assert_one_line_error(proc, 'missing/epoch_9.pth')


def test_checkpoint_of_another_model_is_refused_in_one_line(workspace):
    """mmengine's load_from only logs mismatched shapes; test.py must not evaluate such a model."""
    from mmengine.config import Config

    from vireid_toolbox.registry import MODELS
    from vireid_toolbox.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(HCTRI)
    cfg.model.head.num_classes = 5  # the config's head has 80 classes
    checkpoint = str(workspace / 'five_classes.pth')
    torch.save(dict(meta=dict(), state_dict=MODELS.build(cfg.model).state_dict()), checkpoint)
    proc = run_tool(TEST, tiny_config(workspace, 1), checkpoint, check=False, cwd=workspace)
    assert_one_line_error(proc, 'five_classes.pth', 'does not fit the model of the config',
                          'size mismatch')


@pytest.mark.parametrize('option, culprit', [
    ('model.backbone.dept=18', "model.backbone.dept: DualStreamResNet takes no argument 'dept'"),
    ('train_dataloader.batchsize=8', "did you mean 'batch_size'"),
    ('model.head.type=NoSuchHead', "'NoSuchHead' is not registered"),
])
def test_wrong_config_key_is_one_line(workspace, option, culprit):
    proc = run_tool(TRAIN, HCTRI, '--cfg-options', option, check=False, cwd=workspace)
    assert_one_line_error(proc, culprit)


def test_resume_after_an_interruption_ends_with_the_same_weights(workspace):
    """Two epochs straight vs one epoch, a stop, and ``--resume``; then test.py on the result."""
    straight, interrupted = str(workspace / 'straight'), str(workspace / 'interrupted')
    run_tool(TRAIN, tiny_config(workspace, 2), '--work-dir', straight, cwd=workspace)
    run_tool(TRAIN, tiny_config(workspace, 1), '--work-dir', interrupted, cwd=workspace)
    resumed = run_tool(TRAIN, tiny_config(workspace, 2), '--work-dir', interrupted, '--resume',
                       cwd=workspace)
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr

    expected = checkpoint_state_dict(osp.join(straight, 'epoch_2.pth'))
    actual = checkpoint_state_dict(osp.join(interrupted, 'epoch_2.pth'))
    assert expected.keys() == actual.keys()
    first_epoch = checkpoint_state_dict(osp.join(interrupted, 'epoch_1.pth'))
    assert any(not torch.equal(first_epoch[k], actual[k]) for k in actual), 'epoch 2 did not train'
    for key in expected:
        assert torch.equal(expected[key], actual[key]), f'{key} differs after resume'

    out = str(workspace / 'metrics.json')
    run_tool(TEST, tiny_config(workspace, 2), osp.join(interrupted, 'epoch_2.pth'),
             '--work-dir', interrupted, '--out', out, cwd=workspace)
    record = read_metrics_file(out)
    checkpoint = osp.join(interrupted, 'epoch_2.pth')
    assert record['config'] == 'tiny_2e.py' and record['checkpoint'] == checkpoint
    assert record['checkpoint_sha256'] == hashlib.sha256(open(checkpoint, 'rb').read()).hexdigest()
    metrics = record['metrics']
    for setting in ('all-single', 'all-multi', 'indoor-single', 'indoor-multi'):
        mode, shots = setting.split('-')
        for name in ('R1', 'R10', 'R20', 'mAP', 'mINP'):
            entry = metrics[f'sysu/{setting}/{name}']
            assert 0 <= entry['value'] <= 100 and len(entry['trials']) == 2
            assert {k: entry[k] for k in ('dataset', 'split', 'search', 'direction',
                                          'gallery_draw', 'num_trials', 'rerank', 'flip_tta')} == \
                dict(dataset='SYSU-MM01', split='test', search=f'{mode}-search {shots}-shot',
                     direction='infrared-to-visible', gallery_draw='seeded', num_trials=2,
                     rerank=False, flip_tta=False)


def test_dist_train_runs_two_gloo_processes_on_cpu(workspace):
    import subprocess
    work_dir = str(workspace / 'dist')
    env = tool_env()
    env.update(PYTHON=sys.executable, PORT=str(29500 + os.getpid() % 1000))
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools/dist_train.sh'), tiny_config(workspace, 1), '2',
         '--work-dir', work_dir, '--amp'],
        cwd=workspace, env=env, capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    assert '--amp ignored: no CUDA device' in log
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    # 5 batches per epoch, rounded up to 6 for 2 ranks: each rank runs 3 iterations
    assert 'Epoch(train) [1][3/3]' in log
