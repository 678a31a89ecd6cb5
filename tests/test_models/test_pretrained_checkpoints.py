"""Real pretrained checkpoints load strictly: a torchvision ResNet-50 state dict reaches every copy
of every stage of each shipped config's backbone, an mmpose HRNet-w32 MPII checkpoint fills the
online pose source exactly, and a checkpoint that does not fit is refused in one line naming the
file and the first bad key."""
import os.path as osp
from collections import OrderedDict
from glob import glob

import pytest
import torch
import torchvision
from mmengine.config import Config

from vireid_toolbox.models.backbones import DualStreamResNet
from vireid_toolbox.models.pose import MMPoseHeatmaps
from vireid_toolbox.registry import MODELS
from vireid_toolbox.utils import CheckpointError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)
HRNET = 'mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py'
STAGE_PREFIXES = ('', 'layer1.', 'layer2.', 'layer3.', 'layer4.')
STAGE_GROUPS = ('specific', 'shared', 'duplicated')
# the modules a backbone adds to the ResNet stages, which keep their own initialisation
NEW_MODULES = {'DualStreamResNet': set(), 'DEENResNet': {'mfa', 'dee'}}


def pretrained_backbones():
    """The distinct ImageNet-initialised backbones of the shipped configs, with their configs."""
    backbones = {}
    for path in CONFIGS:
        backbone = Config.fromfile(path).model.backbone.to_dict()
        if (backbone.get('init_cfg') or {}).get('type') != 'Pretrained':
            continue
        args = {key: value for key, value in backbone.items() if key != 'init_cfg'}
        if args['type'] == 'DualStreamResNet':
            args['duplicated_stages'] = tuple(args.get('duplicated_stages', ()))
        backbones.setdefault(repr(sorted(args.items())), (args, []))[1].append(
            osp.relpath(path, REPO))
    return list(backbones.values())


BACKBONES = pretrained_backbones()


@pytest.fixture(scope='module')
def torchvision_checkpoints(tmp_path_factory):
    """Randomly initialised torchvision ResNet-50 and -18 state dicts, saved as torchvision does."""
    folder = tmp_path_factory.mktemp('torchvision')
    torch.manual_seed(0)
    paths = {}
    for depth in (50, 18):
        paths[depth] = str(folder / f'resnet{depth}.pth')
        torch.save(getattr(torchvision.models, f'resnet{depth}')(weights=None).state_dict(),
                   paths[depth])
    return paths


def test_every_shipped_pretrained_backbone_is_covered():
    assert sum(len(configs) for _, configs in BACKBONES) >= 40
    assert {args['depth'] for args, _ in BACKBONES} == {50}


@pytest.mark.parametrize('args, configs', BACKBONES, ids=lambda v: v[0] if isinstance(v, list)
                         else None)
def test_resnet50_reaches_every_stage_copy(args, configs, torchvision_checkpoints):
    checkpoint = torchvision_checkpoints[50]
    source = torch.load(checkpoint, weights_only=True)
    backbone = MODELS.build(dict(args, init_cfg=dict(type='Pretrained', checkpoint=checkpoint)))
    backbone.init_weights()
    copies = backbone.stage_copies()
    roles = ((backbone.specific_stages, 2), (backbone.shared_stages, 1),
             (backbone.duplicated_stages, backbone.num_branches))
    for stages, n in roles:
        assert all(len(copies[stage]) == n for stage in stages)
    covered = 0
    for stage, modules in copies.items():
        for module in modules:
            for key, value in module.state_dict().items():
                assert torch.equal(value, source[STAGE_PREFIXES[stage] + key]), (configs, key)
            covered += sum(p.numel() for p in module.parameters())
    new_modules = {name: module for name, module in backbone.named_children()
                   if name not in STAGE_GROUPS + ('non_local', )}
    assert set(new_modules) == NEW_MODULES[args['type']]
    # AGW's non-local blocks, which ImageNet has not, start as the identity (output BatchNorm at
    # zero), as in the AGW code
    non_local = [block for blocks in backbone.non_local.values() for block in blocks]
    assert all(block.conv_out.bn.weight.abs().max() == 0 for block in non_local)
    new_params = sum(p.numel() for m in [*new_modules.values(), *non_local] for p in m.parameters())
    # nothing but the backbone's own new modules left random
    assert covered + new_params == sum(p.numel() for p in backbone.parameters())


def test_backbone_refuses_a_checkpoint_of_another_depth(torchvision_checkpoints):
    args, _ = BACKBONES[0]
    assert args['type'] == 'DualStreamResNet'
    args = {key: value for key, value in args.items() if key != 'type'}
    checkpoint = torchvision_checkpoints[18]
    backbone = DualStreamResNet(**dict(args, depth=50),
                                init_cfg=dict(type='Pretrained', checkpoint=checkpoint))
    with pytest.raises(CheckpointError) as error:
        backbone.init_weights()
    message = str(error.value)
    assert '\n' not in message
    assert checkpoint in message and 'size mismatch for layer1.0.conv1.weight' in message


@pytest.fixture(scope='module')
def hrnet():
    torch.manual_seed(0)
    return MMPoseHeatmaps(HRNET, checkpoint=None)


def save_as_mmpose(path, state_dict):
    """Saved as mmpose saved its published MPII HRNet-w32 checkpoint (meta + state_dict, the head
    under its pre-1.0 name ``keypoint_head``)."""
    renamed = OrderedDict((('keypoint_head.' + key[len('head.'):]) if key.startswith('head.')
                           else key, value) for key, value in state_dict.items())
    torch.save(dict(meta=dict(epoch=210, mmpose_version='0.x'), state_dict=renamed), path)
    return str(path)


def test_hrnet_checkpoint_loads_strictly(tmp_path, hrnet, torchvision_checkpoints):
    random = hrnet.pose_net.state_dict()
    perturbed = OrderedDict(
        (key, value + torch.rand_like(value)) if value.is_floating_point() else (key, value)
        for key, value in random.items())
    assert any(key.startswith('head.') for key in perturbed)

    def refused(path):
        hrnet.checkpoint = path
        with pytest.raises(CheckpointError) as error:
            hrnet.load_weights()
        assert '\n' not in str(error.value) and path in str(error.value)
        return str(error.value)

    missing = dict(perturbed)
    del missing['backbone.stage4.0.branches.3.1.conv2.weight']
    assert 'missing keys, the first backbone.stage4.0.branches.3.1.conv2.weight' in refused(
        save_as_mmpose(tmp_path / 'missing.pth', missing))
    extra = dict(perturbed, **{'backbone.extra.weight': torch.zeros(1)})
    assert '1 unexpected keys, the first backbone.extra.weight' in refused(
        save_as_mmpose(tmp_path / 'extra.pth', extra))
    message = refused(torchvision_checkpoints[18])  # another architecture
    assert 'missing keys, the first backbone.conv1.weight' in message
    assert 'unexpected keys, the first conv1.weight' in message

    hrnet.checkpoint = save_as_mmpose(tmp_path / 'hrnet_w32_mpii.pth', perturbed)
    hrnet.load_weights()
    loaded = hrnet.pose_net.state_dict()
    assert loaded.keys() == perturbed.keys()
    for key, value in perturbed.items():
        assert torch.equal(loaded[key], value), key
