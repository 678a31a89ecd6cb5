"""The DEEN checkpoint converter on a state dict with the authors' key names, made here."""
import pytest
import torch
import torchvision

from vireid_toolbox.registry import MODELS
from vireid_toolbox.utils.deen_reference import convert_deen_state_dict

NUM_CLASSES = 5


def deen_model(last_stage):
    return MODELS.build(dict(
        type='VIReIDModel',
        backbone=dict(type='DEENResNet', depth=18, last_stage=last_stage),
        head=dict(type='DEENHead', in_channels=512 if last_stage == 4 else 256,
                  num_classes=NUM_CLASSES)))


def reference_state_dict(last_stage, seed=0):
    """Random tensors under the names of the code's ``embed_net`` (DEEN/model.py), whose
    three ResNets are kept whole although it runs only parts of them."""
    gen = torch.Generator().manual_seed(seed)
    resnet = {k: v for k, v in torchvision.models.resnet18(weights=None).state_dict().items()
              if not k.startswith('fc.')}  # the code's ResNet has no classifier
    names = {}
    for prefix in ('visible_module.visible.', 'thermal_module.thermal.', 'base_resnet.base.'):
        names.update({prefix + k: v.shape for k, v in resnet.items()})
    channels = (64, 64, 128, 256, 512)
    for k in range(1, last_stage):
        high, low = channels[k], channels[k - 1]
        for part, inner in (('CNL', low), ('PNL', low // 2)):
            names[f'MFA{k}.{part}.g.weight'] = (inner, low, 1, 1)
            names[f'MFA{k}.{part}.theta.weight'] = (inner, high, 1, 1)
            names[f'MFA{k}.{part}.phi.weight'] = (inner, low, 1, 1)
            for conv in ('g', 'theta', 'phi'):
                names[f'MFA{k}.{part}.{conv}.bias'] = (inner, )
            names[f'MFA{k}.{part}.W.0.weight'] = (high, inner, 1, 1)
            names[f'MFA{k}.{part}.W.0.bias'] = (high, )
            for stat in ('weight', 'bias', 'running_mean', 'running_var'):
                names[f'MFA{k}.{part}.W.1.{stat}'] = (high, )
            names[f'MFA{k}.{part}.W.1.num_batches_tracked'] = ()
    dee = channels[last_stage - 1]
    for b in (1, 2):
        for d in (1, 2, 3):
            names[f'DEE.FC{b}{d}.weight'] = (dee // 4, dee, 3, 3)
        names[f'DEE.FC{b}.weight'] = (dee, dee // 4, 1, 1)
        names[f'DEE.FC{b}.bias'] = (dee, )
    for stat in ('weight', 'bias', 'running_mean', 'running_var'):
        names[f'bottleneck.{stat}'] = (channels[last_stage], )
    names['bottleneck.num_batches_tracked'] = ()
    names['classifier.weight'] = (NUM_CLASSES, channels[last_stage])
    return {'module.' + k: (torch.randn(shape, generator=gen) if shape else torch.tensor(3))
            for k, shape in names.items()}


@pytest.mark.parametrize('last_stage', [4, 3])
def test_converted_checkpoint_loads_strictly_with_the_same_tensors(last_stage):
    reference = reference_state_dict(last_stage)
    converted, dropped = convert_deen_state_dict(reference)
    model = deen_model(last_stage)
    model.load_state_dict(converted, strict=True)
    state = model.state_dict()
    pairs = {
        'visible_module.visible.conv1.weight': 'backbone.specific.0.0.conv1.weight',
        'thermal_module.thermal.bn1.running_var': 'backbone.specific.1.0.bn1.running_var',
        'base_resnet.base.layer2.1.conv2.weight': 'backbone.shared.1.1.conv2.weight',
        'MFA2.PNL.W.1.running_mean': 'backbone.mfa.1.pixel_nl.W.1.running_mean',
        'MFA1.CNL.theta.bias': 'backbone.mfa.0.channel_nl.theta.bias',
        'DEE.FC23.weight': 'backbone.dee.branches.1.convs.2.weight',
        'DEE.FC1.bias': 'backbone.dee.branches.0.fuse.bias',
        'bottleneck.weight': 'head.bottleneck.weight',
        'classifier.weight': 'head.classifier.weight',
    }
    for ref_key, key in pairs.items():
        assert torch.equal(state[key], reference['module.' + ref_key]), key
    # the stems' unused stages, the base's unused stem and fc, and layer4 without it
    assert 'visible_module.visible.layer1.0.conv1.weight' in dropped
    assert 'base_resnet.base.conv1.weight' in dropped
    assert ('base_resnet.base.layer4.0.conv1.weight' in dropped) == (last_stage == 3)
    assert len(converted) + len(dropped) == len(reference)


def test_refuses_a_state_dict_of_another_model_or_an_unknown_key():
    with pytest.raises(ValueError, match='no DEE'):
        convert_deen_state_dict({'backbone.conv1.weight': torch.zeros(1)})
    reference = reference_state_dict(4)
    reference['module.attention.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match="reference key 'attention.weight' is neither"):
        convert_deen_state_dict(reference)
