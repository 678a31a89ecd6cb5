"""MomentumUpdateHook in a real mmengine Runner: eq. 13-14 after every optimizer step."""
import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner, load_checkpoint

from vireid_toolbox.engine.hooks import MomentumUpdateHook
from vireid_toolbox.models.losses import CMCELoss
from vireid_toolbox.utils import register_all_modules

ALPHA = 0.7


class ToyCMCEModel(BaseModel):
    """A linear embedding trained with CMCE only."""

    def __init__(self, with_cmce=True):
        super().__init__()
        self.embed = nn.Linear(4, 6)
        self.cmce = CMCELoss(6, 3, scale=4.0, momentum=ALPHA) if with_cmce else None

    def forward(self, inputs, labels, modalities, mode='loss'):
        feats = self.embed(inputs)
        if self.cmce is None:
            return dict(loss=feats.pow(2).mean())
        return self.cmce(feats, labels, modalities)


class Recorder(Hook):
    """Runs after MomentumUpdateHook and keeps both parameter sets of every iteration."""
    priority = 'LOW'

    def __init__(self):
        self.trained, self.momentum = [], []

    def before_train(self, runner):
        self.initial = runner.model.cmce.momentum_classifiers.clone()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.trained.append(runner.model.cmce.classifiers.detach().clone())
        self.momentum.append(runner.model.cmce.momentum_classifiers.clone())


def toy_data(n=32):
    gen = torch.Generator().manual_seed(0)
    return [dict(inputs=torch.randn(4, generator=gen), labels=torch.tensor(i % 3),
                 modalities=torch.tensor((i // 3) % 2)) for i in range(n)]


def make_runner(tmp_path, model, hooks, accumulative_counts=1, max_iters=4):
    register_all_modules()
    return Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=toy_data(), batch_size=8, collate_fn=dict(type='default_collate'),
                              sampler=dict(type='DefaultSampler', shuffle=False)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=1.0),
                           accumulative_counts=accumulative_counts),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        custom_hooks=hooks,
        default_hooks=dict(checkpoint=None, logger=dict(type='LoggerHook', interval=100)),
        default_scope='vireid_toolbox')


def test_momentum_follows_every_optimizer_step(tmp_path):
    recorder = Recorder()
    runner = make_runner(tmp_path, ToyCMCEModel(), [MomentumUpdateHook(), recorder],
                         accumulative_counts=2, max_iters=4)
    runner.train()
    expected = recorder.initial
    for it, (trained, momentum) in enumerate(zip(recorder.trained, recorder.momentum)):
        stepped = (it + 1) % 2 == 0  # two accumulated iterations per optimizer step
        if stepped:
            expected = ALPHA * expected + (1 - ALPHA) * trained
        torch.testing.assert_close(momentum, expected)
    assert not torch.equal(recorder.momentum[-1], recorder.initial)
    assert not torch.equal(recorder.trained[-1], recorder.momentum[-1])

    # the copies are buffers: they travel with the weights in a checkpoint's state dict
    torch.save(dict(state_dict=runner.model.state_dict()), tmp_path / 'toy.pth')
    restored = ToyCMCEModel()
    load_checkpoint(restored, str(tmp_path / 'toy.pth'), map_location='cpu', logger='silent')
    torch.testing.assert_close(restored.cmce.momentum_classifiers,
                               runner.model.cmce.momentum_classifiers.cpu())


def test_hook_refuses_a_model_without_momentum_copies(tmp_path):
    runner = make_runner(tmp_path, ToyCMCEModel(with_cmce=False), [])
    with pytest.raises(ValueError, match='momentum_update'):
        MomentumUpdateHook().before_train(runner)
