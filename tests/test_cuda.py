"""The GPU paths: AMP training through tools/train.py, every model's losses and buffers, the pose
network and a 2-process NCCL run on CUDA. They run wherever ``torch.cuda.is_available()`` (e.g.
``CUDA_VISIBLE_DEVICES=0 make test``) and are reported as skipped, with the reason, elsewhere."""
import copy
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from conftest import (IN_PROCESS_EVALUATION, REPO, checkpoint_state_dict, free_port,
                      load_tool_module, logged_scalars, make_workspace, run_tool, tool_env,
                      write_config)
from vireid_toolbox.models.pose import CachedHeatmaps
from vireid_toolbox.utils import allow_mmengine_checkpoint_types

pytestmark = pytest.mark.cuda

HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
MODEL_CONFIGS = [
    'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py',
    'configs/admpff_net/admpff-net_r18_1xb16-4e_synthetic-sysu-mm01-96x48.py',
    'configs/pdfenet/pdfenet_r18_online-pose_1xb16-1e_synthetic-sysu-mm01-96x48.py',
]
# the real online pose source of the paper configs: HRNet-w32, random weights
HRNET_CONFIG = 'configs/pdfenet/pdfenet_r50_online-pose_1xb64-240e_sysu-mm01-384x128.py'
TINY_RUN = """
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(batch_size=8, num_ids=2, num_instances=2))
""" + IN_PROCESS_EVALUATION + """
train_cfg = dict(max_epochs=1, val_interval=100)
default_hooks = dict(logger=dict(interval=1))
"""


@pytest.fixture(autouse=True)
def full_precision_matmuls():
    """TF32 would put CPU/CUDA differences at 1e-3 relative; compare float32 with float32."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def training_losses(model, batch):
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    return model(**data, mode='loss')


def test_cached_heatmaps_move_on_cuda_as_on_cpu():
    """The pad-and-crop shifts the pose source applies batch-wise, on the GPU."""
    dummy = load_tool_module('tools/analysis_tools/dummy_batch.py')
    batch = dummy.cross_modality_batch(2, 2, (384, 128), heatmaps=(16, 64, 24))
    inputs = torch.stack(batch['inputs']).float()
    pose = CachedHeatmaps()
    expected = pose(inputs, batch['data_samples'])
    actual = pose(inputs.cuda(), batch['data_samples'])
    assert actual.is_cuda and actual.dtype == torch.float32
    torch.testing.assert_close(actual.cpu(), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize('config', MODEL_CONFIGS)
def test_every_loss_term_on_cuda_equals_cpu(config):
    dummy = load_tool_module('tools/analysis_tools/dummy_batch.py')
    cfg = Config.fromfile(osp.join(REPO, config))
    torch.manual_seed(0)
    cpu_model = dummy.build_model(cfg).train()
    cuda_model = copy.deepcopy(cpu_model).cuda()
    # every parameter and buffer moved, those of the losses, heads and pose network included
    off_device = [name for name, t in [*cuda_model.named_parameters(), *cuda_model.named_buffers()]
                  if t.device.type != 'cuda']
    assert off_device == []
    pose = getattr(cuda_model, 'pose', None)
    if pose is not None:
        assert all(p.is_cuda for p in pose.pose_net.parameters())

    batch = dummy.cross_modality_batch(2, 2, dummy.input_shape(cfg, None))
    expected = training_losses(cpu_model, batch)
    actual = training_losses(cuda_model, batch)
    assert sorted(actual) == sorted(expected)
    for name in expected:
        assert actual[name].is_cuda, name
        torch.testing.assert_close(actual[name].cpu(), expected[name], rtol=1e-3, atol=1e-4,
                                   msg=lambda m: f'{name}: {m}')

    total = sum(v for k, v in actual.items() if 'loss' in k)
    total.backward()
    grads = [p.grad for p in cuda_model.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)


def test_hrnet_pose_heatmaps_on_cuda_equal_cpu():
    from vireid_toolbox.registry import MODELS
    pose_cfg = Config.fromfile(osp.join(REPO, HRNET_CONFIG)).model.pose.to_dict()
    pose_cfg['checkpoint'] = None
    torch.manual_seed(0)
    cpu_pose = MODELS.build(pose_cfg)
    cuda_pose = copy.deepcopy(cpu_pose).cuda()
    width, height = pose_cfg['input_size']
    images = torch.randn(2, 3, height, width, generator=torch.Generator().manual_seed(0))
    expected = cpu_pose(images, None, False)
    actual = cuda_pose(images.cuda(), None, False)
    assert actual.is_cuda and actual.shape == expected.shape == (2, 16, height // 4, width // 4)
    torch.testing.assert_close(actual.cpu(), expected, rtol=1e-3, atol=1e-4)


def test_amp_training_step_through_train_py(tmp_path, tiny_sysu_root):
    workspace = make_workspace(tmp_path, tiny_sysu_root)
    config = write_config(workspace, HCTRI, TINY_RUN, name='tiny_amp.py')
    work_dir = str(workspace / 'amp')
    proc = run_tool(osp.join(REPO, 'tools/train.py'), config, '--work-dir', work_dir, '--amp',
                    cwd=workspace, cuda=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert '--amp ignored' not in log
    allow_mmengine_checkpoint_types()
    checkpoint = torch.load(osp.join(work_dir, 'epoch_1.pth'), map_location='cpu',
                            weights_only=True)
    # AmpOptimWrapper saves its grad scaler beside the optimizer state
    assert 'loss_scaler' in checkpoint['optimizer']
    assert checkpoint['optimizer']['loss_scaler']['scale'] > 0
    state = checkpoint['state_dict']
    assert all(torch.isfinite(t).all() for t in state.values() if t.is_floating_point())
    losses, _ = logged_scalars(work_dir)
    assert sorted(losses) == [1, 2, 3, 4, 5]  # 5 batches in the tiny set's epoch
    assert all(torch.isfinite(torch.tensor(loss)) for loss in losses.values())


@pytest.mark.skipif(torch.cuda.device_count() < 2,
                    reason='needs 2 CUDA devices for a 2-process NCCL run')
def test_two_process_nccl_training_matches_gloo_on_cpu(tmp_path, tiny_sysu_root):
    """The same 2-process run on 2 GPUs (NCCL) and on the CPU (gloo): equal first losses (same
    weights, same batches), and weights apart by no more than float32 reordering can move Adam's
    steps (each step moves a weight by at most about the learning rate)."""
    workspace = make_workspace(tmp_path, tiny_sysu_root)
    config = write_config(workspace, HCTRI, TINY_RUN, name='tiny_nccl.py')
    states, losses = {}, {}
    for name, cuda in (('nccl', True), ('gloo', False)):
        work_dir = str(workspace / name)
        env = tool_env(cuda)
        env.update(PYTHON=sys.executable, PORT=str(free_port()))
        proc = subprocess.run(['bash', osp.join(REPO, 'tools/dist_train.sh'), config, '2',
                               '--work-dir', work_dir], cwd=workspace, env=env,
                              capture_output=True, text=True, timeout=600)
        log = proc.stdout + proc.stderr
        assert proc.returncode == 0, log[-6000:]
        assert 'Distributed training: True' in log and 'GPU number: 2' in log
        states[name] = checkpoint_state_dict(osp.join(work_dir, 'epoch_1.pth'))
        losses[name], _ = logged_scalars(work_dir)
    assert sorted(losses['nccl']) == sorted(losses['gloo']) == [1, 2, 3]
    assert losses['nccl'][1] == pytest.approx(losses['gloo'][1], rel=1e-3)
    lr = Config.fromfile(config).optim_wrapper.optimizer.lr
    assert states['nccl'].keys() == states['gloo'].keys()
    for key, value in states['gloo'].items():
        if value.is_floating_point() and 'running' not in key:
            torch.testing.assert_close(states['nccl'][key], value, rtol=0, atol=2 * 3 * lr,
                                       msg=lambda m: f'{key}: {m}')
