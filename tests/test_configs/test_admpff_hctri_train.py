"""HcTri and ADMPFF-Net end to end on the synthetic SYSU-layout set: a few iterations of
tools/train.py for each, and tools/test.py producing the SYSU-MM01 protocol metrics."""
import os.path as osp

import pytest
import torch

from conftest import IN_PROCESS_EVALUATION, REPO, checkpoint_state_dict, run_tool, write_config
from vireid_toolbox.evaluation.metrics_file import metric_values

HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
ADMPFF = osp.join(REPO, 'configs/admpff_net/admpff-net_r18_1xb16-4e_synthetic-sysu-mm01-96x48.py')
# two iterations and a checkpoint (no validation: tools/test.py evaluates); in-process loaders
SHORT_RUN = """
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=100)
log_processor = dict(by_epoch=False)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2), logger=dict(interval=1))
train_dataloader = dict(num_workers=0, persistent_workers=False)
""" + IN_PROCESS_EVALUATION
LOSS_TERMS = {
    HCTRI: ['loss_id', 'loss_tri', 'loss_tri_strips'],
    ADMPFF: [f'loss_{kind}_{branch}_{scale}' for kind in ('id', 'tri')
             for branch in ('mgfd3', 'mgfd6') for scale in ('local', 'global')] +
    ['loss_id_en', 'loss_tri_en'],
}


@pytest.fixture
def workspace(synthetic_workspace):
    return synthetic_workspace


def short_config(workspace, config):
    return write_config(workspace, config, SHORT_RUN, name='short_' + osp.basename(config))


def train(workspace, config):
    """Train two iterations; return the training log and the checkpoint path."""
    cfg = short_config(workspace, config)
    work_dir = str(workspace / 'work')
    proc = run_tool(osp.join(REPO, 'tools/train.py'), cfg, '--work-dir', work_dir, cwd=workspace)
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(checkpoint)
    return cfg, work_dir, proc.stdout + proc.stderr, checkpoint


def test_hctri_trains(workspace):
    _, _, log, checkpoint = train(workspace, HCTRI)
    for term in LOSS_TERMS[HCTRI]:
        assert f'{term}: ' in log, f'{term} missing from the training log'
    state = checkpoint_state_dict(checkpoint)
    # stage0-1 once per modality, stage2-4 once, six stripe reductions and classifiers
    assert 'backbone.specific.1.1.0.conv1.weight' in state
    assert 'backbone.specific.2.0.conv1.weight' not in state
    assert not any(key.startswith('backbone.duplicated') for key in state)
    assert 'neck.reductions.5.0.weight' in state and 'head.classifiers.5.weight' in state


def test_admpff_trains_and_tests(workspace):
    cfg, work_dir, log, checkpoint = train(workspace, ADMPFF)
    for term in LOSS_TERMS[ADMPFF]:
        assert f'{term}: ' in log, f'{term} missing from the training log'
    state = checkpoint_state_dict(checkpoint)
    # stage3-4 duplicated into the three branches, each with its own weights
    branches = [state[f'backbone.duplicated.{b}.1.0.conv1.weight'] for b in range(3)]
    assert not torch.equal(branches[0], branches[1]) and not torch.equal(branches[1], branches[2])

    out = str(workspace / 'metrics.json')
    run_tool(osp.join(REPO, 'tools/test.py'), cfg, checkpoint, '--work-dir', work_dir,
             '--out', out, cwd=workspace)
    metrics = metric_values(out)
    for setting in ('all-single', 'all-multi', 'indoor-single', 'indoor-multi'):
        for key in ('R1', 'R10', 'R20', 'mAP', 'mINP'):
            assert 0 <= metrics[f'sysu/{setting}/{key}'] <= 100
