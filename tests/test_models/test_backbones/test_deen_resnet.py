"""DEEN's backbone, and its MFA / DEE modules against independent computations of the code's
maths."""
import pytest
import torch
import torch.nn.functional as F
import torchvision

from vireid_toolbox.models.backbones.deen_modules import (ChannelNonLocal, DEEModule, MFABlock,
                                                          PixelNonLocal)
from vireid_toolbox.registry import MODELS


def conv1x1(conv, x):
    """A 1x1 convolution as a matrix product over channels (stride by slicing)."""
    x = x[:, :, ::conv.stride[0], ::conv.stride[1]]
    weight = conv.weight[:, :, 0, 0]
    return torch.einsum('oc,nchw->nohw', weight, x) + conv.bias[None, :, None, None]


def randomise(module, seed):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.3)
    return module.eval()


def channel_non_local_by_hand(m, x_high, x_low):
    """theta(x_h) (C x P_h) times phi(x_l)^T (P_h x C), over C, re-weights g(x_l); W adds it."""
    n, c = x_high.shape[0], m.low_channels
    out = []
    for i in range(n):
        g = conv1x1(m.g, x_low[i:i + 1])[0].reshape(c, -1)
        theta = conv1x1(m.theta, x_high[i:i + 1])[0].reshape(c, -1)
        phi = conv1x1(m.phi, x_low[i:i + 1])[0].reshape(c, -1)
        y = (theta @ phi.T / c) @ g
        out.append(y.reshape(1, c, *x_low.shape[2:]))
    return m.W(torch.cat(out)) + x_high


def pixel_non_local_by_hand(m, x_high, x_low):
    """The code's reshape: each C/2-channel embedding read as C rows of chunks of the flat map."""
    n, c = x_high.shape[0], m.low_channels
    out = []
    for i in range(n):
        g = conv1x1(m.g, x_low[i:i + 1]).flatten().reshape(c, -1).T  # chunks x C
        theta = conv1x1(m.theta, x_high[i:i + 1]).flatten().reshape(c, -1).T
        phi = conv1x1(m.phi, x_low[i:i + 1]).flatten().reshape(c, -1)
        y = ((theta @ phi) / phi.shape[1]) @ g  # chunks x C
        out.append(y.T.reshape(1, m.g.out_channels, *x_high.shape[2:]))
    return m.W(torch.cat(out)) + x_high


def test_channel_and_pixel_non_local_match_hand_computation():
    x_low = torch.randn(2, 8, 6, 4)
    x_high = torch.randn(2, 16, 3, 2)
    channel = randomise(ChannelNonLocal(16, 8, stride=2), 0)
    torch.testing.assert_close(channel(x_high, x_low), channel_non_local_by_hand(channel, x_high,
                                                                                 x_low))
    pixel = randomise(PixelNonLocal(16, 8), 1)
    x_same = torch.randn(2, 8, 3, 2)
    torch.testing.assert_close(pixel(x_high, x_same), pixel_non_local_by_hand(pixel, x_high,
                                                                              x_same))


def test_mfa_starts_as_identity():
    """The zero-initialised BN of both residual projections: MFA(x_h, x_l) = x_h at init."""
    block = MFABlock(16, 8, stride=2).eval()
    x_high = torch.randn(2, 16, 3, 2)
    torch.testing.assert_close(block(x_high, torch.randn(2, 8, 6, 4)), x_high)


def test_dee_stacks_the_map_and_its_expansions():
    dee = randomise(DEEModule(8, num_expansions=2, dropout=0.5), 2)
    x = torch.randn(3, 8, 5, 4)
    out = dee(x)
    assert out.shape == (9, 8, 5, 4)
    torch.testing.assert_close(out[:3], x)
    for b, branch in enumerate(dee.branches):
        mean = sum(F.conv2d(x, conv.weight, padding=d, dilation=d)
                   for conv, d in zip(branch.convs, (1, 2, 3))) / 3
        expected = F.conv2d(F.relu(mean), branch.fuse.weight, branch.fuse.bias)
        torch.testing.assert_close(out[3 * (b + 1):3 * (b + 2)], expected)


def build(**kwargs):
    return MODELS.build(dict(type='DEENResNet', depth=18, **kwargs))


@pytest.mark.parametrize('last_stage, channels, size', [(4, 512, (4, 2)), (3, 256, (4, 2))])
def test_outputs_one_map_per_embedding(last_stage, channels, size):
    net = build(last_stage=last_stage).eval()
    maps = net(torch.randn(4, 3, 64, 32), torch.tensor([0, 1, 0, 1]))
    assert len(maps) == 3 and all(m.shape == (4, channels, *size) for m in maps)
    assert len(net.shared) == last_stage and len(net.mfa) == last_stage - 1


def test_routes_by_modality_not_position():
    net = build().eval()
    with torch.no_grad():  # the two stems start as copies of one another
        net.specific[1][0].conv1.weight.mul_(-1)
    x, modalities = torch.randn(4, 3, 64, 32), torch.tensor([0, 1, 1, 0])
    perm = torch.tensor([2, 0, 3, 1])
    with torch.no_grad():
        maps = net(x, modalities)
        permuted = net(x[perm], modalities[perm])
        swapped = net(x, 1 - modalities)
    for a, b in zip(maps, permuted):
        torch.testing.assert_close(a[perm], b)
    assert not torch.allclose(maps[0], swapped[0])


def test_pretrained_weights_reach_every_stem_and_used_stage(tmp_path):
    state = torchvision.models.resnet18(weights=None).state_dict()
    path = tmp_path / 'resnet18.pth'
    torch.save(state, path)
    net = build(last_stage=3, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    net.init_weights()
    for stem in net.specific:
        torch.testing.assert_close(stem[0].conv1.weight, state['conv1.weight'])
    torch.testing.assert_close(net.shared[2][1].conv2.weight, state['layer3.1.conv2.weight'])


def test_rejects_a_last_stage_without_layers():
    with pytest.raises(ValueError, match='last_stage must be 3 or 4'):
        build(last_stage=2)
