"""CMCE's momentum classifiers in a real tools/train.py run: after every optimizer step
theta_M = alpha theta_M(before) + (1 - alpha) theta_C(after the step), for both modalities; a step
the AMP grad scaler skips updates neither."""
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook

from conftest import IN_PROCESS_EVALUATION, REPO, make_workspace, run_tool_in_process, write_config
from vireid_toolbox.registry import HOOKS

PDFENET = osp.join(REPO, 'configs/pdfenet/pdfenet_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
TRAIN = osp.join(REPO, 'tools/train.py')
ALPHA = 0.7  # the config's CMCELoss momentum (PDFENet's)
RUN = """
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(batch_size=8, num_ids=2, num_instances=2))
""" + IN_PROCESS_EVALUATION + """
model = dict(head=dict(num_classes=5))  # the tiny set's 4 train + 1 val ids
train_cfg = dict(max_epochs=1, val_interval=100)
default_hooks = dict(checkpoint=None, logger=dict(interval=1))
custom_hooks = [dict(type='MomentumUpdateHook'), dict(type='CMCERecorder')]
visualizer = dict(name='{name}')
"""


@HOOKS.register_module(force=True)
class CMCERecorder(Hook):
    """Runs after MomentumUpdateHook; keeps theta_M and theta_C around every iteration."""
    priority = 'LOW'
    records = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        cmce = getattr(runner.model, 'module', runner.model).head.loss_cmce
        self.records.append(dict(momentum_before=cmce.momentum_classifiers.clone(),
                                 trained_before=cmce.classifiers.detach().clone()))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        cmce = getattr(runner.model, 'module', runner.model).head.loss_cmce
        assert cmce.momentum == ALPHA
        self.records[-1].update(momentum_after=cmce.momentum_classifiers.clone(),
                                trained_after=cmce.classifiers.detach().clone(),
                                loss_scale=getattr(runner.optim_wrapper, 'loss_scaler', None) and
                                runner.optim_wrapper.loss_scaler.get_scale())


def train(tmp_path, tiny_sysu_root, *args, name, extra=''):
    workspace = make_workspace(tmp_path, tiny_sysu_root)
    config = write_config(workspace, PDFENET, RUN.format(name=name) + extra)
    CMCERecorder.records = []
    status, _, stderr = run_tool_in_process(TRAIN, config, '--work-dir', 'work', *args,
                                            cwd=workspace)
    assert status in (0, None), stderr
    assert len(CMCERecorder.records) >= 4  # one epoch of the tiny set
    return CMCERecorder.records


def test_momentum_update_after_every_optimizer_step(tmp_path, tiny_sysu_root):
    for record in train(tmp_path, tiny_sysu_root, name='cmce_momentum_cpu'):
        assert not torch.equal(record['trained_after'], record['trained_before'])  # a real step
        for modality in (0, 1):  # visible, infrared
            expected = (ALPHA * record['momentum_before'][modality]
                        + (1 - ALPHA) * record['trained_after'][modality])
            torch.testing.assert_close(record['momentum_after'][modality], expected,
                                       rtol=0, atol=1e-7)
            assert not torch.equal(record['momentum_after'][modality],
                                   record['momentum_before'][modality])


@pytest.mark.cuda
def test_step_skipped_by_the_amp_grad_scaler_leaves_the_momentum_copies(tmp_path, tiny_sysu_root):
    """A loss scale of 2^60 overflows the float16 gradients: the scaler skips those steps (and
    halves the scale each time), so neither theta_C nor theta_M may move."""
    records = train(tmp_path, tiny_sysu_root, '--amp', name='cmce_momentum_amp',
                    extra="optim_wrapper = dict(type='AmpOptimWrapper', "
                          "loss_scale=dict(init_scale=2.0**60))\n")
    for record in records:
        assert record['loss_scale'] < 2.0**60
        skipped = torch.equal(record['trained_after'], record['trained_before'])
        if skipped:
            assert torch.equal(record['momentum_after'], record['momentum_before'])
        else:
            torch.testing.assert_close(
                record['momentum_after'],
                ALPHA * record['momentum_before'] + (1 - ALPHA) * record['trained_after'],
                rtol=0, atol=1e-7)
    assert torch.equal(records[0]['trained_after'], records[0]['trained_before'])  # skipped
