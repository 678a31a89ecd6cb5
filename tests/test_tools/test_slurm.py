"""tools/slurm_train.sh and tools/slurm_test.sh against a real single-node Slurm.

``tests/slurm/setup_slurm.sh``, run before the suite (.ci/run does), installs (when missing) and
starts munge, slurmctld and slurmd on this machine; the same tiny config is then trained with 2
CPU tasks through ``srun`` and through ``torchrun`` (``tools/dist_train.sh``), and both must end
with identical weights and identical validation metrics.
"""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from conftest import (REPO, checkpoint_state_dict, free_port, make_workspace, monitored_scalars,
                      tool_env, write_config)
from vireid_toolbox.evaluation.metrics_file import metric_values

SETUP = osp.join(REPO, 'tests/slurm/setup_slurm.sh')
HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
PARTITION = 'debug'
# one epoch of 3 iterations per rank and a test-split evaluation at its end (the monitor switch),
# deterministic kernels;
# 96x48 inputs (6 feature rows for the 6 stripes) with the random crop and flip kept, so that
# both launchers must also seed the augmentation of each rank the same way
TINY_RUN = """
scale = (48, 96)
train_pipeline = [dict(type='LoadReIDImage'), dict(type='ReIDResize', scale=scale),
                  dict(type='ReIDPadCrop', padding=4), dict(type='ReIDRandomFlip', prob=0.5),
                  dict(type='PackReIDInputs')]
test_pipeline = [dict(type='LoadReIDImage'), dict(type='ReIDResize', scale=scale),
                 dict(type='PackReIDInputs')]
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(batch_size=8, num_ids=2, num_instances=2),
                        dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_evaluator = dict(num_trials=2)
monitor_test_split = True
train_cfg = dict(max_epochs=1, val_interval=1)
randomness = dict(seed=0, deterministic=True)
default_hooks = dict(logger=dict(interval=1))
"""


@pytest.fixture(scope='session')
def slurm_cluster():
    """The partition of a running Slurm (``tests/slurm/setup_slurm.sh`` starts one; .ci/run does);
    skipped, with the reason, where none answers."""
    try:
        proc = subprocess.run(['sinfo', '-h', '-p', PARTITION, '-o', '%T'], capture_output=True,
                              text=True, timeout=30)
    except FileNotFoundError:
        pytest.skip(f'no Slurm here (sinfo not found); start one with: bash {SETUP}')
    states = proc.stdout.split()
    if proc.returncode != 0 or not set(states) & {'idle', 'mixed', 'allocated'}:
        pytest.skip(f'no usable Slurm partition {PARTITION!r} (sinfo: '
                    f'{(proc.stdout + proc.stderr).strip() or "no node"}); start one with: bash {SETUP}')
    return PARTITION


def launch(script, *args, cwd, **extra_env):
    """Run ``bash tools/<script> args`` in ``cwd``; return its stdout + stderr."""
    env = tool_env()
    env.update(PYTHON=sys.executable, **extra_env)
    proc = subprocess.run(['bash', osp.join(REPO, 'tools', script), *args], cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{script} exited {proc.returncode}\n{log[-6000:]}'
    return log


def test_slurm_train_matches_torchrun(slurm_cluster, tmp_path, tiny_sysu_root):
    workspace = make_workspace(tmp_path, tiny_sysu_root)
    config = write_config(workspace, HCTRI, TINY_RUN, name='tiny_slurm.py')
    slurm_dir, torchrun_dir = str(workspace / 'slurm'), str(workspace / 'torchrun')
    job_name = f'vireid-test-{os.getpid()}'

    slurm_log = launch('slurm_train.sh', slurm_cluster, job_name, config, slurm_dir,
                       cwd=workspace, GPUS='2', GPUS_PER_NODE='0', CPUS_PER_TASK='1',
                       SRUN_ARGS='--time=10 --immediate=120', MASTER_PORT=str(free_port()))
    torchrun_log = launch('dist_train.sh', config, '2', '--work-dir', torchrun_dir,
                          cwd=workspace, PORT=str(free_port()))

    # a real Slurm job with 2 tasks ran the training as one 2-process gloo group
    job = subprocess.run(['scontrol', '-o', 'show', 'job'], capture_output=True, text=True,
                         timeout=60).stdout
    (record,) = [line for line in job.splitlines() if f'JobName={job_name} ' in line]
    assert 'JobState=COMPLETED' in record and 'NumTasks=2 ' in record, record
    assert f'--job-name={job_name}' in slurm_log
    for log, launcher in ((slurm_log, 'slurm'), (torchrun_log, 'pytorch')):
        assert f'Distributed launcher: {launcher}' in log
        assert 'Distributed training: True' in log and 'GPU number: 2' in log
        assert 'Epoch(train) [1][3/3]' in log  # 5 batches rounded up to 6 for 2 ranks

    slurm_losses, slurm_metrics = monitored_scalars(slurm_dir)
    torchrun_losses, torchrun_metrics = monitored_scalars(torchrun_dir)
    assert sorted(slurm_losses) == [1, 2, 3] and slurm_losses == torchrun_losses
    assert 'sysu/all-single/R1' in slurm_metrics and slurm_metrics == torchrun_metrics
    expected = checkpoint_state_dict(osp.join(torchrun_dir, 'epoch_1.pth'))
    actual = checkpoint_state_dict(osp.join(slurm_dir, 'epoch_1.pth'))
    assert expected.keys() == actual.keys()
    for key in expected:
        assert torch.equal(expected[key], actual[key]), f'{key} differs between srun and torchrun'

    # slurm_test.sh with 2 tasks reproduces the validation metrics of the same checkpoint
    out = str(workspace / 'slurm_test.json')
    launch('slurm_test.sh', slurm_cluster, job_name + '-test', config,
           osp.join(slurm_dir, 'epoch_1.pth'), '--work-dir', str(workspace / 'slurm_test'),
           '--out', out, cwd=workspace, GPUS='2', GPUS_PER_NODE='0', CPUS_PER_TASK='1',
           SRUN_ARGS='--time=10 --immediate=120', MASTER_PORT=str(free_port()))
    assert metric_values(out) == pytest.approx(slurm_metrics)
