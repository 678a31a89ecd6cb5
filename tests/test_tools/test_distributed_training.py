"""N processes train what one process with gradient accumulation over N batches trains.

2 gloo processes with per-rank batch B against 1 process with ``accumulative_counts=2`` and
batch B, for HcTri and PDFENet (CMCE momentum classifiers included), augmentation on. The
sampler draws the same global sequence of batches in both runs: micro-batch ``i`` of the
1-process run is rank ``i % 2``'s batch. ``step_recorder.StepRecorderHook`` writes every
process's state after every optimizer step; the 1-process run keeps the two ranks' BatchNorm
running statistics apart (they are per process and never enter the loss) and averages them at
each epoch end, as ``SyncBuffersHook`` does across the processes.

Also: two ``torchrun --nnodes 2`` launchers on 127.0.0.1 (c10d rendezvous) end with the same
weights as 2 processes on one node.
"""
import json
import os.path as osp
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch
from mmengine.config import Config

from conftest import (REPO, checkpoint_state_dict, free_port, make_workspace, run_dist_tool,
                      run_tool, tool_env, write_config)
from step_recorder import digest

CONFIGS = {
    'hctri': osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py'),
    'pdfenet': osp.join(REPO, 'configs/pdfenet/pdfenet_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py'),
}
TRAIN = osp.join(REPO, 'tools/train.py')
RECORDER_PATH = osp.dirname(osp.abspath(__file__))
STEPS = 4
# tiny_sysu_root: 5 ids x 4 visible images, i.e. 4 batches of 5 ids x 1 x 2 images per epoch
# (an even number: the 1-process epoch splits into whole steps of 2) and 2 steps per epoch either
# way; the warm-up changes the rate per epoch (an iteration-based one counts micro-batches)
RUN = """
custom_imports = dict(imports=['step_recorder'], allow_failed_imports=False)
train_dataloader = dict(batch_size=10, num_workers=0, persistent_workers=False,
                        sampler=dict(batch_size=10, num_ids=5, num_instances=1))
train_cfg = dict(max_epochs=2)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1)]
optim_wrapper = dict(accumulative_counts={accumulate})
randomness = dict(seed=0, deterministic=True)
default_hooks = dict(checkpoint=dict(interval=2))
custom_hooks = {hooks!r}
"""
EXACT = """The comparison is exact, not within a tolerance, for 2 processes on the CPU: each
micro-batch runs the same deterministic kernels on the same images in both runs; DDP sums the two
ranks' gradients and halves the sum, accumulation halves each loss (so each gradient, exactly: a
power-of-two scaling) and sums the two; a sum of two floats does not depend on its order. Measured:
every tensor of every step bit-identical (a float32 tolerance would hide, e.g., a BatchNorm
statistic updated with one extra batch). With N > 2 the sums of N terms are ordered differently
(ring all-reduce against one after the other) and would need a tolerance."""


def run_config(workspace, name, accumulate, out_dir, virtual_ranks):
    hooks = list(Config.fromfile(CONFIGS[name]).get('custom_hooks', [])) + [
        dict(type='StepRecorderHook', out_dir=out_dir, virtual_ranks=virtual_ranks)]
    body = RUN.format(accumulate=accumulate, hooks=[dict(h) for h in hooks])
    return write_config(workspace, CONFIGS[name], body, name=f'{osp.basename(out_dir)}.py')


@pytest.fixture(scope='module')
def runs(tmp_path_factory, tiny_sysu_root):
    """Per model: the 2-process run and the 1-process run with accumulation over 2 batches."""
    workspace = make_workspace(tmp_path_factory.mktemp('distributed_training'), tiny_sysu_root)
    out = {}
    for name in CONFIGS:
        two, one = str(workspace / f'{name}_2proc'), str(workspace / f'{name}_1proc')
        run_dist_tool('train.py', 2, run_config(workspace, name, 1, two, 1),
                      '--work-dir', two, cwd=workspace, env=dict(PYTHONPATH=recorder_pythonpath()))
        run_tool(TRAIN, run_config(workspace, name, 2, one, 2), '--work-dir', one, cwd=workspace,
                 timeout=300, env=dict(PYTHONPATH=recorder_pythonpath()))
        out[name] = dict(two=two, one=one)
    return workspace, out


def recorder_pythonpath():
    return osp.pathsep.join([REPO, RECORDER_PATH])


def load_state(out_dir, step, rank):
    """The tensor digests ``StepRecorderHook`` wrote after ``step`` on ``rank``."""
    with open(osp.join(out_dir, f'step{step}_rank{rank}.json')) as f:
        return json.load(f)


def digests(checkpoint):
    return {key: digest(value) for key, value in checkpoint_state_dict(checkpoint).items()}


def assert_states_equal(actual, expected, what):
    """Every tensor bit-identical (see ``EXACT``)."""
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert actual[key] == value, f'{what}: {key} differs'


@pytest.mark.parametrize('name', list(CONFIGS))
def test_every_step_equals_gradient_accumulation(runs, name):
    """Parameters, momentum classifiers and each rank's BatchNorm statistics after each of the
    first 4 optimizer steps, and the last checkpoint: equal (``EXACT``)."""
    _, dirs = runs
    batchnorm_differs_between_ranks = False
    for step in range(1, STEPS + 1):
        for rank in (0, 1):
            actual = load_state(dirs[name]['two'], step, rank)
            expected = load_state(dirs[name]['one'], step, rank)
            assert_states_equal(actual, expected, f'step {step} rank {rank}')
        rank0, rank1 = (load_state(dirs[name]['two'], step, r)
                        for r in (0, 1))
        batchnorm_differs_between_ranks |= any(
            rank0[k] != rank1[k] for k in rank0 if k.endswith('running_mean'))
    assert not osp.exists(osp.join(dirs[name]['two'], f'step{STEPS + 1}_rank0.json'))
    # the ranks' running statistics really are their own (the comparison above is not vacuous)
    assert batchnorm_differs_between_ranks
    first = load_state(dirs[name]['one'], 1, 0)
    last = load_state(dirs[name]['one'], STEPS, 0)
    assert any(first[k] != last[k] for k in first if k.endswith('weight'))
    if name == 'pdfenet':
        key = next(k for k in first if k.endswith('momentum_classifiers'))
        assert first[key] != last[key]
    # the checkpoint after the last epoch (BatchNorm statistics averaged over the ranks)
    assert_states_equal(digests(osp.join(dirs[name]['two'], 'epoch_2.pth')),
                        digests(osp.join(dirs[name]['one'], 'epoch_2.pth')), 'epoch_2.pth')


def test_ranks_get_disjoint_batches_whose_union_is_the_single_process_epoch(runs):
    """Rank r's i-th batch is the 1-process run's batch 2i + r: disjoint, none lost, none
    added; every rank batch holds 5 ids with a visible and an infrared image each."""
    _, dirs = runs
    for name in CONFIGS:
        single = json.load(open(osp.join(dirs[name]['one'], 'batches_rank0.json')))
        ranks = [json.load(open(osp.join(dirs[name]['two'], f'batches_rank{r}.json')))
                 for r in (0, 1)]
        assert len(single) == 2 * STEPS and len(ranks[0]) == len(ranks[1]) == STEPS
        assert [batch for pair in zip(*ranks) for batch in pair] == single
        for batch in ranks[0] + ranks[1]:
            ids = [label for _, label, _ in batch]
            assert len(set(ids)) == 5
            for label in set(ids):
                assert sorted(m for _, lab, m in batch if lab == label) == [0, 1]


def test_two_nodes_end_with_the_weights_of_one_node(runs):
    """Two ``torchrun --nnodes 2`` launchers of one process each, c10d rendezvous on 127.0.0.1."""
    workspace, dirs = runs
    work_dir = str(workspace / 'hctri_2nodes')
    config = run_config(workspace, 'hctri', 1, work_dir, 1)
    endpoint = f'127.0.0.1:{free_port()}'
    env = dict(tool_env(), PYTHONPATH=recorder_pythonpath())
    command = [sys.executable, '-m', 'torch.distributed.run', '--nnodes', '2',
               '--nproc_per_node', '1', '--rdzv_backend', 'c10d', '--rdzv_endpoint', endpoint,
               '--rdzv_id', 'two_nodes', '--local_addr', '127.0.0.1', TRAIN, config,
               '--work-dir', work_dir, '--launcher', 'pytorch']
    with ThreadPoolExecutor(2) as pool:  # the two launchers run at the same time
        launchers = list(pool.map(
            lambda _: subprocess.run(command, cwd=workspace, env=env, capture_output=True,
                                     text=True, timeout=300), range(2)))
    for launcher in launchers:
        assert launcher.returncode == 0, (launcher.stdout + launcher.stderr)[-6000:]
    assert_states_equal(digests(osp.join(work_dir, 'epoch_2.pth')),
                        digests(osp.join(dirs['hctri']['two'], 'epoch_2.pth')), 'epoch_2.pth')


@pytest.mark.cuda
@pytest.mark.skipif(torch.cuda.device_count() < 2, reason='needs 2 CUDA devices for SyncBN')
def test_sync_bn_gives_every_process_the_statistics_of_the_whole_batch(tmp_path, tiny_sysu_root):
    """``sync_bn='torch'``: the BatchNorm layers normalise with the statistics of both processes'
    batches, so both processes keep the same running statistics after every step (without it
    they differ, see test_every_step_equals_gradient_accumulation)."""
    workspace = make_workspace(tmp_path, tiny_sysu_root)
    work_dir = str(workspace / 'sync_bn')
    run_dist_tool('train.py', 2, run_config(workspace, 'hctri', 1, work_dir, 1),
                  '--work-dir', work_dir, '--cfg-options', 'sync_bn=torch', cwd=workspace,
                  cuda=True, env=dict(PYTHONPATH=recorder_pythonpath(), CUBLAS_WORKSPACE_CONFIG=':4096:8'))
    for step in range(1, STEPS + 1):
        rank0, rank1 = (load_state(work_dir, step, r)
                        for r in (0, 1))
        assert any(k.endswith('running_mean') for k in rank0)
        assert_states_equal(rank1, rank0, f'step {step}')
