"""tools/misc/convert_reference_checkpoint.py on state dicts named as the reference codes name
them (generated here; no reference code in the repository)."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from mmengine.config import Config

from conftest import REPO, checkpoint_state_dict, run_tool
from vireid_toolbox.registry import MODELS
from vireid_toolbox.utils import register_all_modules
from vireid_toolbox.utils.config_check import drop_init_cfg

sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
import convert_reference_checkpoint  # noqa: E402
from convert_reference_checkpoint import ConversionError, convert_state_dict  # noqa: E402

TOOL = osp.join(REPO, 'tools/misc/convert_reference_checkpoint.py')
AGW = 'configs/agw/agw_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py'
HCTRI = 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py'
DEEN = 'configs/deen/deen_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py'


def randn_like_state(state, gen):
    return {k: (torch.randn(v.shape, generator=gen) if v.dtype.is_floating_point else v.clone())
            for k, v in state.items()}


def resnet18_keys(prefix, gen, keep=lambda key: True):
    """A randomly filled ResNet-18 state dict (no fc, as the codes' ResNets) under ``prefix``."""
    state = torchvision.models.resnet18(weights=None).state_dict()
    return {prefix + k: v for k, v in randn_like_state(state, gen).items()
            if not k.startswith('fc.') and keep(k)}


def bn_keys(prefix, channels, gen):
    return {prefix + 'weight': torch.randn(channels, generator=gen),
            prefix + 'bias': torch.randn(channels, generator=gen),
            prefix + 'running_mean': torch.randn(channels, generator=gen),
            prefix + 'running_var': torch.rand(channels, generator=gen) + 0.5,
            prefix + 'num_batches_tracked': torch.tensor(7)}


def agw_reference_state(num_classes=80):
    """What the AGW code's embed_net(no_local='on') with a ResNet-18 would save."""
    gen = torch.Generator().manual_seed(0)
    state = {**resnet18_keys('visible_module.visible.', gen),
             **resnet18_keys('thermal_module.thermal.', gen),
             **resnet18_keys('base_resnet.base.', gen)}
    for stage, channels in ((2, 128), (3, 256)):
        prefix = f'NL_{stage}.0.'
        for name in ('g.0', 'theta', 'phi'):
            state[f'{prefix}{name}.weight'] = torch.randn(1, channels, 1, 1, generator=gen)
            state[f'{prefix}{name}.bias'] = torch.randn(1, generator=gen)
        state[prefix + 'W.0.weight'] = torch.randn(channels, 1, 1, 1, generator=gen)
        state[prefix + 'W.0.bias'] = torch.randn(channels, generator=gen)
        state.update(bn_keys(prefix + 'W.1.', channels, gen))
    state.update(bn_keys('bottleneck.', 512, gen))
    state['classifier.weight'] = torch.randn(num_classes, 512, generator=gen)
    return state


def hctri_reference_state(num_classes=80):
    """What the HcTri code's embed_net(share_net=2, pcb='on') with a ResNet-18 would save."""
    gen = torch.Generator().manual_seed(1)
    stem = lambda key: key.startswith(('conv1', 'bn1', 'layer1'))  # noqa: E731
    state = {**resnet18_keys('visible_module.visible.', gen, stem),
             **resnet18_keys('thermal_module.thermal.', gen, stem),
             **resnet18_keys('base_resnet.base.', gen, lambda key: not stem(key))}
    for i in range(6):
        state[f'local_conv_list.{i}.0.weight'] = torch.randn(256, 512, 1, 1, generator=gen)
        state[f'local_conv_list.{i}.0.bias'] = torch.randn(256, generator=gen)
        state.update(bn_keys(f'local_conv_list.{i}.1.', 256, gen))
        state[f'fc_list.{i}.weight'] = torch.randn(num_classes, 256, generator=gen)
        state[f'fc_list.{i}.bias'] = torch.randn(num_classes, generator=gen)
    return state


def deen_reference_state(last_stage, num_classes=80):
    """What the DEEN code's embed_net with a ResNet-18 would save: its three whole ResNets,
    MFA1..MFA<last_stage - 1> (CNL and PNL), DEE before the last stage, BNNeck, classifier."""
    gen = torch.Generator().manual_seed(2)
    state = {**resnet18_keys('visible_module.visible.', gen),
             **resnet18_keys('thermal_module.thermal.', gen),
             **resnet18_keys('base_resnet.base.', gen)}
    channels = (64, 64, 128, 256, 512)  # stem, layer1..layer4 outputs of a ResNet-18
    for k in range(1, last_stage):
        high, low = channels[k], channels[k - 1]
        for part, inner in (('CNL', low), ('PNL', low // 2)):
            prefix = f'MFA{k}.{part}.'
            for conv, in_channels in (('g', low), ('theta', high), ('phi', low)):
                state[f'{prefix}{conv}.weight'] = torch.randn(inner, in_channels, 1, 1,
                                                              generator=gen)
                state[f'{prefix}{conv}.bias'] = torch.randn(inner, generator=gen)
            state[prefix + 'W.0.weight'] = torch.randn(high, inner, 1, 1, generator=gen)
            state[prefix + 'W.0.bias'] = torch.randn(high, generator=gen)
            state.update(bn_keys(prefix + 'W.1.', high, gen))
    dee = channels[last_stage - 1]
    for b in (1, 2):
        for d in (1, 2, 3):
            state[f'DEE.FC{b}{d}.weight'] = torch.randn(dee // 4, dee, 3, 3, generator=gen)
        state[f'DEE.FC{b}.weight'] = torch.randn(dee, dee // 4, 1, 1, generator=gen)
        state[f'DEE.FC{b}.bias'] = torch.randn(dee, generator=gen)
    state.update(bn_keys('bottleneck.', channels[last_stage], gen))
    state['classifier.weight'] = torch.randn(num_classes, channels[last_stage], generator=gen)
    return state


def build(config, **backbone_and_head):
    register_all_modules()
    model_cfg = Config.fromfile(osp.join(REPO, config)).model.to_dict()
    drop_init_cfg(model_cfg)
    for part, overrides in backbone_and_head.items():
        model_cfg[part].update(overrides)
    return MODELS.build(model_cfg)


def test_agw_checkpoint_converts_through_the_tool(tmp_path):
    reference = agw_reference_state()
    src, dst = tmp_path / 'agw_best.t', tmp_path / 'converted.pth'
    # the AGW code's layout: the state dict under 'net', numpy scores beside it
    torch.save({'net': reference, 'cmc': np.linspace(0.4, 1.0, 20), 'mAP': np.float64(0.45),
                'mINP': np.float64(0.3), 'epoch': 40}, src)
    run_tool(TOOL, 'agw', str(src), str(dst), timeout=120)
    model = build(AGW)
    model.load_state_dict(checkpoint_state_dict(str(dst)), strict=True)
    state = model.state_dict()
    pairs = {'visible_module.visible.conv1.weight': 'backbone.specific.0.0.conv1.weight',
             'thermal_module.thermal.bn1.running_var': 'backbone.specific.1.0.bn1.running_var',
             'base_resnet.base.layer1.0.conv1.weight': 'backbone.shared.0.0.conv1.weight',
             'base_resnet.base.layer4.1.bn2.bias': 'backbone.shared.3.1.bn2.bias',
             'NL_3.0.theta.weight': 'backbone.non_local.stage3.0.theta.conv.weight',
             'bottleneck.weight': 'head.bnneck.weight',
             'classifier.weight': 'head.classifier.weight'}
    for ref_key, our_key in pairs.items():
        assert torch.equal(state[our_key], reference[ref_key]), our_key

    # the reference's non-local block, BN(W y + b) + x in eval mode, equals the converted one
    block = model.backbone.non_local['stage2'][0].eval()
    x = torch.randn(2, 128, 3, 2)
    r = {k[len('NL_2.0.'):]: v for k, v in reference.items() if k.startswith('NL_2.0.')}
    theta, phi, g = (F.conv2d(x, r[f'{n}.weight'], r[f'{n}.bias']).flatten(2)
                     for n in ('theta', 'phi', 'g.0'))
    y = (theta.transpose(1, 2) @ phi / 6 @ g.transpose(1, 2)).transpose(1, 2).reshape(2, 1, 3, 2)
    w_y = F.conv2d(y, r['W.0.weight'], r['W.0.bias'])
    expected = x + F.batch_norm(w_y, r['W.1.running_mean'], r['W.1.running_var'],
                                r['W.1.weight'], r['W.1.bias'])
    torch.testing.assert_close(block(x), expected)


def test_hctri_checkpoint_converts():
    reference = hctri_reference_state()
    model = build(HCTRI)
    model.load_state_dict(convert_state_dict(reference, 'hctri'), strict=True)
    state = model.state_dict()
    pairs = {'visible_module.visible.layer1.1.conv2.weight': 'backbone.specific.0.1.1.conv2.weight',
             'thermal_module.thermal.conv1.weight': 'backbone.specific.1.0.conv1.weight',
             'base_resnet.base.layer2.0.downsample.0.weight':
             'backbone.shared.0.0.downsample.0.weight',
             'local_conv_list.5.1.running_mean': 'neck.reductions.5.1.running_mean',
             'fc_list.3.bias': 'head.classifiers.3.bias'}
    for ref_key, our_key in pairs.items():
        assert torch.equal(state[our_key], reference[ref_key]), our_key


@pytest.mark.parametrize('last_stage', [4, 3])
def test_deen_checkpoint_converts_through_the_tool(tmp_path, monkeypatch, last_stage):
    """SYSU-MM01/LLCM model (MFA1-3, layer4) and RegDB model (no MFA3: its layer4 is unused);
    saved as the code's train.py does, here from DataParallel (``module.`` prefix). The first
    runs the command line, the second its main() in this process (a second start-up is slow)."""
    reference = deen_reference_state(last_stage)
    src, dst = tmp_path / 'deen_best.t', tmp_path / 'converted.pth'
    torch.save({'net': {'module.' + k: v for k, v in reference.items()}, 'epoch': 3}, src)
    if last_stage == 4:
        run_tool(TOOL, 'deen', str(src), str(dst), timeout=120)
    else:
        monkeypatch.setattr(sys, 'argv', [TOOL, 'deen', str(src), str(dst)])
        convert_reference_checkpoint.main()
    model = build(DEEN, backbone=dict(last_stage=last_stage),
                  head=dict(in_channels=512 if last_stage == 4 else 256))
    model.load_state_dict(checkpoint_state_dict(str(dst)), strict=True)
    state = model.state_dict()
    pairs = {'visible_module.visible.conv1.weight': 'backbone.specific.0.0.conv1.weight',
             'thermal_module.thermal.bn1.running_var': 'backbone.specific.1.0.bn1.running_var',
             'base_resnet.base.layer1.0.conv1.weight': 'backbone.shared.0.0.conv1.weight',
             'base_resnet.base.layer3.1.bn2.bias': 'backbone.shared.2.1.bn2.bias',
             'MFA1.CNL.theta.bias': 'backbone.mfa.0.channel_nl.theta.bias',
             'MFA2.PNL.W.1.running_mean': 'backbone.mfa.1.pixel_nl.W.1.running_mean',
             'DEE.FC13.weight': 'backbone.dee.branches.0.convs.2.weight',
             'DEE.FC21.weight': 'backbone.dee.branches.1.convs.0.weight',
             'DEE.FC2.bias': 'backbone.dee.branches.1.fuse.bias',
             'bottleneck.running_mean': 'head.bottleneck.running_mean',
             'classifier.weight': 'head.classifier.weight'}
    if last_stage == 4:
        pairs.update({'base_resnet.base.layer4.1.conv2.weight': 'backbone.shared.3.1.conv2.weight',
                      'MFA3.CNL.W.0.weight': 'backbone.mfa.2.channel_nl.W.0.weight'})
    for ref_key, our_key in pairs.items():
        assert torch.equal(state[our_key], reference[ref_key]), our_key


def test_unknown_keys_and_methods_are_named(tmp_path, monkeypatch, capsys):
    reference = dict(hctri_reference_state(), **{'extra_head.weight': torch.zeros(1)})
    with pytest.raises(ConversionError, match="'extra_head.weight' matches no rule"):
        convert_state_dict(reference, 'hctri')
    with pytest.raises(ConversionError, match="unknown method 'pcb'"):
        convert_state_dict(reference, 'pcb')
    src = tmp_path / 'bad.pth'
    torch.save({'net': {'extra_head.weight': torch.zeros(1)}}, src)
    monkeypatch.setattr(sys, 'argv', [TOOL, 'agw', str(src), str(tmp_path / 'out.pth')])
    with pytest.raises(SystemExit) as exit_info:
        convert_reference_checkpoint.main()
    assert exit_info.value.code == 2 and not (tmp_path / 'out.pth').exists()
    assert capsys.readouterr().err.strip().splitlines() == [(
        "convert_reference_checkpoint.py: error: agw: reference key 'extra_head.weight' matches "
        'no rule of the agw mapping (is it a checkpoint of mangye16/Cross-Modal-Re-ID-baseline, '
        'embed_net of model.py and ICCV21_CAJ/model.py (no_local=on, gm_pool=on)?)')]
