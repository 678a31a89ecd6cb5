"""tools/analysis_tools/get_flops.py and benchmark_step_time.py as subprocesses."""
import os.path as osp
import re

import pytest
import torch
import torchvision
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config

from conftest import REPO, run_tool

HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
ADMPFF = osp.join(REPO, 'configs/admpff_net/admpff-net_r18_1xb16-4e_synthetic-sysu-mm01-96x48.py')


def resnet18_trunk_flops(height, width):
    """FLOPs of torchvision's ResNet-18 up to layer4 with last stride 1, counted independently."""
    net = torchvision.models.resnet18(weights=None).eval()
    net.layer4[0].conv1.stride = (1, 1)
    net.layer4[0].downsample[0].stride = (1, 1)
    trunk = torch.nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1,
                                net.layer2, net.layer3, net.layer4)
    return FlopAnalyzer(trunk, torch.randn(1, 3, height, width)).total()


def test_get_flops_counts_hctri():
    proc = run_tool(osp.join(REPO, 'tools/analysis_tools/get_flops.py'), HCTRI)
    assert 'input: 96x48' in proc.stdout  # from the config's test resize
    flops = float(re.search(r'FLOPs per image: ([\d.]+) G', proc.stdout).group(1)) * 1e9
    # the trunk plus six 1x1 convs 512 -> 256 on pooled stripes (BN and GeM are not counted)
    expected = resnet18_trunk_flops(96, 48) + 6 * 512 * 256
    assert flops == pytest.approx(expected, rel=0.01)
    params = re.search(r'params: ([\d.]+) M \(all\)', proc.stdout).group(1)
    # ResNet-18 without fc, a second copy of stage0-1, 6 x (conv + BN) and 6 classifiers
    net = torchvision.models.resnet18(weights=None)
    trunk = sum(p.numel() for n, p in net.named_parameters() if not n.startswith('fc'))
    stage01 = sum(p.numel() for m in (net.conv1, net.bn1, net.layer1) for p in m.parameters())
    classes = Config.fromfile(HCTRI).model.head.num_classes
    expected_params = (trunk + stage01 + 6 * (512 * 256 + 256 + 2 * 256) +
                       6 * (256 * classes + classes))
    assert float(params) == pytest.approx(expected_params / 1e6, abs=0.006)


def test_step_time_ratio():
    proc = run_tool(osp.join(REPO, 'tools/analysis_tools/benchmark_step_time.py'), HCTRI, ADMPFF,
                    '--num-ids', '2', '--num-instances', '1', '--shape', '96', '48',
                    '--steps', '2', '--warmup', '0')
    assert 'batch: 2 ids x 1 images x 2 modalities = 4 images of 96x48' in proc.stdout
    means = [float(m) for m in re.findall(r': (\d+) ± \d+ ms/step over 2 steps', proc.stdout)]
    assert len(means) == 2 and all(m > 0 for m in means)
    ratio = float(re.search(r'ratio candidate / baseline: ([\d.]+)', proc.stdout).group(1))
    assert ratio == pytest.approx(means[1] / means[0], rel=0.05, abs=0.01)

