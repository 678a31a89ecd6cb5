"""tools/misc/reference_parity.py without reference code: the toolbox's own AGW (ResNet-18)
plays the reference, so every figure of equal parts must be within tolerance, and a tampered
loss value and learning rate must be caught; a bad --reference-dir is one line, exit 2."""
import os.path as osp
import sys

import pytest
import torch

from conftest import REPO
from vireid_toolbox.utils import register_all_modules

sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
import reference_parity  # noqa: E402
from reference_parity import Adapter, toolbox_losses, toolbox_model  # noqa: E402

AGW_R18 = 'configs/agw/agw_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py'
TOOL = osp.join(REPO, 'tools/misc/reference_parity.py')


class ToolboxAsReference(Adapter):
    """The reference is a second toolbox model: the mapping is the identity."""
    method = 'toolbox'
    reference = 'the toolbox itself'
    configs = {'synthetic': AGW_R18}
    reference_files = ()

    def __init__(self, reference_dir, loss_tri_offset=0.0, lr_scale=1.0):
        super().__init__(reference_dir, 'synthetic')
        self.loss_tri_offset, self.lr_scale = loss_tri_offset, lr_scale

    def build_reference(self, num_classes):
        self.cfg, net = toolbox_model(AGW_R18, num_classes)
        return net

    def convert(self, state_dict):
        return dict(state_dict)

    def reference_losses(self, net, batch):
        losses = toolbox_losses(net, batch)
        # a constant offset changes the value, not the gradients
        offset = self.loss_tri_offset * losses['loss_tri'].detach()
        return {'loss_id': losses['loss_id'], 'loss_tri': losses['loss_tri'] + offset}

    def reference_features(self, net, images, modal):
        return net.features(images, torch.full((len(images), ), modal - 1))

    def reference_optimizer(self, net):
        optimizer = reference_parity.toolbox_optimizer(self.cfg, net).optimizer
        for group in optimizer.param_groups:
            group['lr'] *= self.lr_scale
        return optimizer


@pytest.fixture(autouse=True)
def default_dtype():
    register_all_modules()
    yield
    torch.set_default_dtype(torch.float32)  # run() sets the dtype it compares in


def test_equal_parts_pass_and_a_different_loss_value_and_learning_rate_fail(tmp_path, capsys):
    """loss_tri's value 1e-4 off (its gradient equal) and a 1 % larger reference lr: exactly
    that loss term and the step's weights and update fail; every other figure, computed from
    equal models, passes."""
    adapter = ToolboxAsReference(str(tmp_path), loss_tri_offset=1e-4, lr_scale=1.01)
    failures = reference_parity.run(adapter, num_ids=2, shape=(32, 16))
    assert [f.split(',')[0].split(' (')[0] for f in failures] == [
        'loss_tri', 'after one step', 'update of one step']
    out = capsys.readouterr().out
    for figure in ('test feature (infrared), max abs diff', 'loss_id',
                   'gradient, visible stem conv1', 'gradient, last layer (shared.3.1.conv2)',
                   'gradient, infrared stem conv1'):
        assert f'{figure}' in out and out.split(figure)[1].split('\n')[0].endswith(' ok'), figure


def test_a_reference_dir_without_the_code_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', [TOOL, 'hctri', '--reference-dir', str(tmp_path)])
    with pytest.raises(SystemExit) as exit_info:
        reference_parity.main()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f'reference_parity.py: error: {tmp_path} holds no model_mine.py, loss.py (expected the '
        f'hctri reference code: {reference_parity.adapter_class("hctri").reference})']
