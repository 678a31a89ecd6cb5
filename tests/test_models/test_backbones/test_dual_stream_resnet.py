"""DualStreamResNet: stage roles by config, routing by modality, weight loading."""
import pytest
import torch
import torchvision

from vireid_toolbox.models.backbones import DualStreamResNet
from vireid_toolbox.registry import MODELS

# (specific, shared, duplicated) of every row of ADMPFF-Net Table 1 (schemes)
# and Table 4 (fusion part stages), plus the HcTri baseline.
PAPER_ROWS = {
    'table1-scheme1 / table4 1-3': ((0, ), (1, 2, 3), (4, )),
    'table1-scheme2 / table4 2-3': ((0, 1), (2, 3), (4, )),
    'table1-scheme3 / table4 1-2': ((0, ), (1, 2), (3, 4)),
    'table1-scheme4': ((0, ), (1, ), (2, 3, 4)),
    'table4 2': ((0, 1), (2, ), (3, 4)),
    'table4 3': ((0, 1, 2), (3, ), (4, )),
    'table4 2-4 / hctri': ((0, 1), (2, 3, 4), ()),
}


def stage_param_counts(depth):
    net = getattr(torchvision.models, f'resnet{depth}')(weights=None)
    stage0 = sum(p.numel() for m in (net.conv1, net.bn1) for p in m.parameters())
    return [stage0] + [sum(p.numel() for p in getattr(net, f'layer{k}').parameters())
                       for k in range(1, 5)]


@pytest.mark.parametrize('row', sorted(PAPER_ROWS))
def test_paper_rows_are_configs(row):
    specific, shared, duplicated = PAPER_ROWS[row]
    branches = 3 if duplicated else 1
    backbone = MODELS.build(
        dict(type='DualStreamResNet', depth=18, specific_stages=specific, shared_stages=shared,
             duplicated_stages=duplicated, num_branches=branches))
    copies = backbone.stage_copies()
    expected_copies = {**{s: 2 for s in specific}, **{s: 1 for s in shared},
                       **{s: branches for s in duplicated}}
    assert {s: len(m) for s, m in copies.items()} == expected_copies
    # every copy owns its own tensors: no parameter is reachable twice
    params = list(backbone.parameters())
    assert len({p.data_ptr() for p in params}) == len(params)
    counts = stage_param_counts(18)
    assert sum(p.numel() for p in params) == sum(counts[s] * n for s, n in expected_copies.items())
    feats = backbone.eval()(torch.randn(2, 3, 64, 32), torch.tensor([0, 1]))
    assert len(feats) == branches and all(f.shape == (2, 512, 4, 2) for f in feats)


def test_samples_are_routed_by_modality_not_position():
    torch.manual_seed(0)
    backbone = DualStreamResNet(depth=18, specific_stages=(0, 1), shared_stages=(2, ),
                                duplicated_stages=(3, 4), num_branches=2)
    x = torch.randn(6, 3, 64, 32)
    modalities = torch.tensor([0, 1, 1, 0, 1, 0])
    perm = torch.tensor([4, 0, 5, 2, 1, 3])
    # train mode: batch-norm statistics are computed per modality subset and
    # over the whole batch, both independent of the order of the samples
    backbone.train()
    out = backbone(x, modalities)
    out_perm = backbone(x[perm], modalities[perm])
    for a, b in zip(out, out_perm):
        torch.testing.assert_close(a[perm], b, rtol=1e-4, atol=1e-4)
    # eval mode: each sample equals its own modality's stages run alone
    backbone.eval()
    out = backbone(x, modalities)
    for i in range(6):
        m = int(modalities[i])
        fused = backbone.shared(backbone.specific[m](x[i:i + 1]))
        for b, branch in enumerate(backbone.duplicated):
            torch.testing.assert_close(out[b][i:i + 1], branch(fused), rtol=1e-4, atol=1e-4)


def test_specific_weights_are_separate_and_shared_single():
    backbone = DualStreamResNet(depth=18, specific_stages=(0, 1), shared_stages=(2, 3, 4))
    visible, infrared = backbone.specific
    for p_v, p_i in zip(visible.parameters(), infrared.parameters()):
        assert p_v is not p_i and p_v.data_ptr() != p_i.data_ptr()
    # a batch of visible images trains the visible copy and the shared stages only
    feats = backbone(torch.randn(2, 3, 64, 32), torch.tensor([0, 0]))
    feats[0].sum().backward()
    assert all(p.grad is not None for p in visible.parameters())
    assert all(p.grad is None for p in infrared.parameters())
    assert all(p.grad is not None for p in backbone.shared.parameters())


@pytest.mark.parametrize('size, last_stride, out_hw', [((288, 144), 1, (18, 9)),
                                                       ((384, 128), 1, (24, 8)),
                                                       ((288, 144), 2, (9, 5)),
                                                       ((192, 96), 1, (12, 6))])
def test_output_size_and_last_stride(size, last_stride, out_hw):
    backbone = DualStreamResNet(depth=18, last_stride=last_stride).eval()
    with torch.no_grad():
        (feat, ) = backbone(torch.randn(1, 3, *size), torch.tensor([1]))
    assert feat.shape == (1, 512) + out_hw


def test_resnet50_at_paper_resolution():
    backbone = DualStreamResNet(depth=50).eval()
    with torch.no_grad():
        (feat, ) = backbone(torch.randn(2, 3, 288, 144), torch.tensor([0, 1]))
    assert feat.shape == (2, 2048, 18, 9)


def test_pretrained_weights_reach_every_copy(tmp_path):
    torch.manual_seed(1)
    reference = torchvision.models.resnet18(weights=None)
    checkpoint = tmp_path / 'resnet18.pth'
    torch.save(reference.state_dict(), checkpoint)
    backbone = DualStreamResNet(depth=18, specific_stages=(0, ), shared_stages=(1, 2),
                                duplicated_stages=(3, 4), num_branches=3,
                                init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)))
    backbone.init_weights()
    state = reference.state_dict()
    for stage0 in backbone.specific:
        torch.testing.assert_close(stage0[0].conv1.weight, state['conv1.weight'])
        torch.testing.assert_close(stage0[0].bn1.running_var, state['bn1.running_var'])
    torch.testing.assert_close(backbone.shared[1][1].conv2.weight, state['layer2.1.conv2.weight'])
    for branch in backbone.duplicated:
        torch.testing.assert_close(branch[1][0].downsample[0].weight,
                                   state['layer4.0.downsample.0.weight'])
    # the Runner's path: init_weights of the whole model reaches the backbone's loader
    model = MODELS.build(dict(
        type='VIReIDModel',
        backbone=dict(type='DualStreamResNet', depth=18,
                      init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint))),
        neck=dict(type='PartPoolingNeck', in_channels=512, out_channels=8),
        head=dict(type='HcTriHead', num_classes=3, in_channels=8)))
    model.init_weights()
    for stages in model.backbone.specific:
        torch.testing.assert_close(stages[1][0].conv1.weight, state['layer1.0.conv1.weight'])
    wrong_depth = DualStreamResNet(depth=34, init_cfg=dict(type='Pretrained',
                                                           checkpoint=str(checkpoint)))
    with pytest.raises(ValueError, match='resnet18.pth does not fit stage'):
        wrong_depth.init_weights()


def test_bad_configs_and_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='stages 0..4 once each'):
        DualStreamResNet(depth=18, specific_stages=(0, ), shared_stages=(2, 3, 4))
    with pytest.raises(ValueError, match='num_branches=3 needs duplicated_stages'):
        DualStreamResNet(depth=18, num_branches=3)
    with pytest.raises(ValueError, match='depth=20'):
        DualStreamResNet(depth=20)
    backbone = DualStreamResNet(depth=18)
    with pytest.raises(ValueError, match=r'modality codes must be in \[0, 2\), got \[2\]'):
        backbone(torch.randn(2, 3, 64, 32), torch.tensor([0, 2]))
    with pytest.raises(ValueError, match='one code per sample'):
        backbone(torch.randn(2, 3, 64, 32), torch.tensor([0]))


def test_agw_non_local_blocks_follow_the_listed_residual_blocks():
    # AGW's placement on a ResNet-50: after blocks 2, 3 of layer2 and 3, 4, 5 of layer3
    backbone = DualStreamResNet(depth=50, specific_stages=(0, ), shared_stages=(1, 2, 3, 4),
                                non_local=((2, (3, 2)), (3, (3, 4, 5))))
    assert {k: len(v) for k, v in backbone.non_local.items()} == {'stage2': 2, 'stage3': 3}
    assert backbone.non_local['stage3'][0].g.conv.weight.shape == (1, 1024, 1, 1)
    calls = []
    for name, module in backbone.named_modules():
        if name.count('.') == 2 and name.startswith(('shared.1.', 'shared.2.', 'non_local.')):
            module.register_forward_hook(lambda m, i, o, name=name: calls.append(name))
    backbone.eval()(torch.randn(1, 3, 64, 32), torch.tensor([0]))
    assert calls == ['shared.1.0', 'shared.1.1', 'shared.1.2', 'non_local.stage2.0', 'shared.1.3',
                     'non_local.stage2.1', 'shared.2.0', 'shared.2.1', 'shared.2.2', 'shared.2.3',
                     'non_local.stage3.0', 'shared.2.4', 'non_local.stage3.1', 'shared.2.5',
                     'non_local.stage3.2']


def test_agw_non_local_block_equation():
    """z = x + BN(W y), y_i = 1/N sum_j (theta_i phi_j) g_j, one embedding channel (AGW code)."""
    torch.manual_seed(0)
    backbone = DualStreamResNet(depth=18, non_local=((2, (1, )), ))
    block = backbone.non_local['stage2'][0].eval()
    with torch.no_grad():
        block.conv_out.bn.weight.fill_(1.5)  # the zero initialisation makes it the identity
        block.conv_out.bn.running_mean.uniform_(-1, 1)
    x = torch.randn(2, 128, 3, 2)
    flat = x.flatten(2)  # N x C x HW

    def embed(conv_module):
        return torch.einsum('oc,ncp->nop', conv_module.conv.weight[:, :, 0, 0],
                            flat) + conv_module.conv.bias[None, :, None]
    theta, phi, g = embed(block.theta), embed(block.phi), embed(block.g)  # N x 1 x HW
    assert theta.shape == (2, 1, 6)
    y = torch.einsum('nip,niq,niq->nip', theta, phi, g) / 6
    w_y = torch.einsum('oi,nip->nop', block.conv_out.conv.weight[:, :, 0, 0], y)
    bn = block.conv_out.bn
    expected = x + ((w_y - bn.running_mean[None, :, None]) /
                    torch.sqrt(bn.running_var[None, :, None] + bn.eps) * 1.5 +
                    bn.bias[None, :, None]).reshape(x.shape)
    torch.testing.assert_close(block(x), expected)
    assert block.conv_out.conv.bias is None  # the converter folds the code's bias into the BN


def test_bad_non_local_configs():
    with pytest.raises(ValueError, match='non_local stage 1 must be a shared'):
        DualStreamResNet(depth=18, non_local=((1, (0, )), ))
    with pytest.raises(ValueError, match=r'blocks \(2,\) of stage 3 are not block indices of a '
                                         '2-block stage'):
        DualStreamResNet(depth=18, non_local=((3, (2, )), ))
