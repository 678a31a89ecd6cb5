"""PDFENet end to end on the synthetic SYSU-layout set: tools/train.py and tools/test.py with
cached and with online heatmaps, the ADMG visualisation tool, and the frozen pose network."""
import glob
import os.path as osp

import cv2
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from conftest import IN_PROCESS_EVALUATION, REPO, checkpoint_state_dict, run_tool, write_config
from vireid_toolbox.evaluation.metrics_file import metric_values
from vireid_toolbox.registry import MODELS
from vireid_toolbox.utils import register_all_modules

CACHED = osp.join(REPO, 'configs/pdfenet/pdfenet_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
ONLINE = osp.join(REPO,
                  'configs/pdfenet/pdfenet_r18_online-pose_1xb16-1e_synthetic-sysu-mm01-96x48.py')
# two iterations, then validation and a checkpoint; in-process loaders; two gallery trials
SHORT_RUN = """
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
log_processor = dict(by_epoch=False)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2), logger=dict(interval=1))
train_dataloader = dict(num_workers=0, persistent_workers=False)
""" + IN_PROCESS_EVALUATION


@pytest.fixture
def workspace(synthetic_workspace):
    return synthetic_workspace


def short_config(workspace, config):
    return write_config(workspace, config, SHORT_RUN, name='short_' + osp.basename(config))


@pytest.mark.parametrize('config', [CACHED, ONLINE], ids=['cached', 'online'])
def test_train_and_test_tools(workspace, config):
    cfg = short_config(workspace, config)
    work_dir = str(workspace / 'work')
    train = run_tool(osp.join(REPO, 'tools/train.py'), cfg, '--work-dir', work_dir, cwd=workspace)
    log = train.stdout + train.stderr
    for term in ('loss_cmce_soft', 'loss_cmce_id', 'loss_center', 'acc_cmce'):
        assert term in log, f'{term} missing from the training log'
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    state = checkpoint_state_dict(checkpoint)
    assert not any('pose' in key for key in state), 'the pose network entered the checkpoint'
    assert 'head.loss_cmce.momentum_classifiers' in state
    # the hook moved the momentum copies towards the trained classifiers, without reaching them
    assert not torch.equal(state['head.loss_cmce.momentum_classifiers'],
                           state['head.loss_cmce.classifiers'])

    out = str(workspace / 'metrics.json')
    run_tool(osp.join(REPO, 'tools/test.py'), cfg, checkpoint, '--work-dir', work_dir,
             '--out', out, cwd=workspace)
    metrics = metric_values(out)
    assert 0 <= metrics['sysu/all-single/R1'] <= 100 and 'sysu/indoor-multi/mAP' in metrics

    if config == CACHED:  # the ADMG visualisation of the trained checkpoint (Fig. 2)
        images = sorted(glob.glob(str(workspace / 'data/synthetic_sysu_mm01/cam*/*/*.jpg')))[:2]
        run_tool(osp.join(REPO, 'tools/analysis_tools/visualize_admg.py'), cfg, checkpoint,
                 '--images', *images, '--modalities', 'visible', '--out-dir', 'vis',
                 cwd=workspace)
        pngs = sorted(glob.glob(str(workspace / 'vis/*_admg.png')))
        assert len(pngs) == 2
        figure = cv2.imread(pngs[0])
        assert figure is not None and figure.shape[1] > figure.shape[0] and figure.std() > 0


def test_online_pose_network_stays_frozen(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    register_all_modules()
    cfg = Config.fromfile(short_config(workspace, ONLINE))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    pose_net = model.pose.pose_net
    before = {k: v.clone() for k, v in pose_net.state_dict().items()}
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    optimized = {id(p) for group in optim_wrapper.optimizer.param_groups for p in group['params']}
    assert not optimized & {id(p) for p in pose_net.parameters()}

    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    model.train()
    for step, batch in zip(range(2), loader):
        losses = model.train_step(batch, optim_wrapper)
        assert torch.isfinite(losses['loss'])
    assert not pose_net.training
    for key, value in pose_net.state_dict().items():
        assert torch.equal(value, before[key]), f'pose network {key} changed during training'
    assert not any(key.startswith('pose.') for key in model.state_dict())
