"""SIGKILL + ``tools/train.py --resume`` = the uninterrupted run, with persistent data-loader
workers (the shipped setting): every tensor of the final checkpoint and the tools/test.py metrics;
no earlier checkpoint or log is lost; the number of workers does not change the weights.

The kills come from ``sigkill_hook.py`` (a test plugin loaded by ``custom_imports``), triggered by
the environment variable ``SIGKILL_AT``, so the killed and the resumed runs are the same command.
"""
import glob
import os
import os.path as osp
import re
import signal

import pytest
import torch

from conftest import (IN_PROCESS_EVALUATION, REPO, checkpoint_state_dict, make_workspace,
                      monitored_scalars, run_tool, tool_env, write_config)
from vireid_toolbox.evaluation.metrics_file import metric_values

CONFIGS = {
    'hctri': 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py',
    'pdfenet': 'configs/pdfenet/pdfenet_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py',
}
TRAIN = osp.join(REPO, 'tools/train.py')
TEST = osp.join(REPO, 'tools/test.py')
PLUGIN_DIR = osp.dirname(osp.abspath(__file__))
# the synthetic configs' persistent train workers and randomness; 2 epochs of 8-image batches of
# the tiny set
SHORT_RUN = """
train_dataloader = dict(batch_size=8, sampler=dict(batch_size=8, num_ids=2, num_instances=2))
""" + IN_PROCESS_EVALUATION + """
train_cfg = dict(max_epochs=2, val_interval=100)
monitor_test_split = True  # the test split evaluated after the last epoch, as tools/test.py does
default_hooks = dict(logger=dict(interval=1),
                     sigkill=dict(type='SigkillHook'))
custom_imports = dict(imports=['sigkill_hook'], allow_failed_imports=False)
"""


def plugin_env():
    """Tool environment with the plugin importable (the config's ``custom_imports`` names it)."""
    return {'PYTHONPATH': os.pathsep.join([PLUGIN_DIR, tool_env()['PYTHONPATH']])}


def train(config, work_dir, num_workers, *args, sigkill_at=None):
    env = plugin_env()
    if sigkill_at:
        env['SIGKILL_AT'] = sigkill_at
    proc = run_tool(TRAIN, config, '--work-dir', work_dir, '--cfg-options',
                    f'train_dataloader.num_workers={num_workers}', *args, env=env, timeout=300,
                    check=sigkill_at is None, cwd=osp.dirname(config))
    if sigkill_at:
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    return proc


def tools_test_metrics(config, checkpoint):
    out = checkpoint + '.metrics.json'
    run_tool(TEST, config, checkpoint, '--out', out, env=plugin_env(), timeout=300,
             cwd=osp.dirname(config))
    return metric_values(out)


def assert_same_tensors(expected, actual, what):
    assert expected.keys() == actual.keys(), what
    for key in expected:
        assert torch.equal(expected[key], actual[key]), f'{what}: {key} differs'


def assert_every_checkpoint_loads(work_dir):
    """No truncated checkpoint: every ``*.pth`` loads, ``last_checkpoint`` names one of them."""
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        checkpoint_state_dict(path)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert osp.isfile(f.read().strip())


def run_logs(work_dir):
    """The text log of every run in the work dir, oldest first."""
    return [open(p).read() for p in sorted(glob.glob(osp.join(work_dir, '*', '*.log')))]


def epoch_line(epoch, iteration=None):
    """Pattern of the log line of an iteration of ``epoch`` (default: its last iteration)."""
    done = r'(\d+)/\1' if iteration is None else rf'{iteration}/\d+'
    return rf'Epoch\(train\) +\[{epoch}\]\[{done}\]'


@pytest.mark.parametrize('method, workers, killed_workers', [
    ('hctri', 1, 4),  # the uninterrupted run with 1 worker, the killed and resumed ones with 4
    ('pdfenet', 2, 2),  # the shipped 2 workers
])
def test_sigkill_and_resume_reproduce_the_uninterrupted_run(method, workers, killed_workers,
                                                            tmp_path, tiny_sysu_root):
    """Killed in the middle of epoch 2 and, PDFENet, once more in the middle of writing
    ``epoch_2.pth``; resumed each time with the same command plus ``--resume``. HcTri also shows
    that 1 and 4 workers train the same weights (epoch 1, and epoch 2 across the kill)."""
    workspace = make_workspace(tmp_path, tiny_sysu_root)
    config = write_config(workspace, osp.join(REPO, CONFIGS[method]), SHORT_RUN)
    straight, work_dir = str(workspace / 'uninterrupted'), str(workspace / 'killed')
    train(config, straight, workers)

    train(config, work_dir, killed_workers, sigkill_at='iter:2:0')
    assert re.search(epoch_line(2, iteration=1), run_logs(work_dir)[-1])
    assert not osp.exists(osp.join(work_dir, 'epoch_2.pth'))
    assert_every_checkpoint_loads(work_dir)
    assert_same_tensors(checkpoint_state_dict(osp.join(straight, 'epoch_1.pth')),
                        checkpoint_state_dict(osp.join(work_dir, 'epoch_1.pth')),
                        f'epoch 1, {killed_workers} workers vs {workers}')

    if method == 'pdfenet':
        train(config, work_dir, killed_workers, '--resume', sigkill_at='save:2')
        assert_every_checkpoint_loads(work_dir)
        assert osp.getsize(osp.join(work_dir, 'epoch_2.pth.partial')) > 0  # died while writing
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            assert f.read().strip() == osp.join(work_dir, 'epoch_1.pth')

    resumed = train(config, work_dir, killed_workers, '--resume')
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr
    assert_every_checkpoint_loads(work_dir)
    expected = checkpoint_state_dict(osp.join(straight, 'epoch_2.pth'))
    assert any(k.endswith('running_var') for k in expected)
    if method == 'pdfenet':
        assert any(k.endswith('momentum_classifiers') for k in expected)
    assert_same_tensors(expected, checkpoint_state_dict(osp.join(work_dir, 'epoch_2.pth')),
                        'epoch 2 after SIGKILL and resume')

    # every run's log is kept: the killed run's holds epoch 1, the last one ends epoch 2
    logs = run_logs(work_dir)
    assert len(logs) == (3 if method == 'pdfenet' else 2)
    assert re.search(epoch_line(1), logs[0]) and re.search(epoch_line(2), logs[-1])

    # the uninterrupted run validated after epoch 2 on the test set and metric of tools/test.py
    _, expected_metrics = monitored_scalars(straight)
    assert expected_metrics and tools_test_metrics(
        config, osp.join(work_dir, 'epoch_2.pth')) == expected_metrics
