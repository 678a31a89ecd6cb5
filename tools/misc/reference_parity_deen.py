"""Compare DEEN with its authors' code (ZYK100/LLCM, DEEN/) on one batch, with identical weights.

The reference code is imported from ``--reference-dir`` (a checkout of the
authors' ``DEEN/`` folder, kept outside this repository); its randomly
initialised ``embed_net`` (every BatchNorm randomised too, so the zero-initialised
MFA residuals take part) is converted with ``convert_reference_checkpoint.py`` into
the toolbox model of the DEEN config. Both run (in float64 by default) on the same batch and
report: the test features (image + mirror, as the code's test), every training
loss term, the gradients of the first and last backbone layers, and all weights
after one step of the recipe's optimiser at epoch 0. Exit status 1 when a
figure exceeds its tolerance.

Example::

    python tools/misc/reference_parity_deen.py --reference-dir $LLCM/DEEN --dataset sysu
"""
import argparse
import functools
import os.path as osp
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS

from convert_reference_checkpoint import convert_state_dict  # its sibling in tools/misc
from vireid_toolbox.registry import MODELS
from vireid_toolbox.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = {
    'sysu': 'configs/deen/deen_r50_1xb48-151e_sysu-mm01-384x144.py',
    'regdb': 'configs/deen/deen_r50_1xb48-151e_regdb-384x144.py',
}
FEATURE_TOL, RELATIVE_TOL = 1e-5, 1e-5


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reference-dir', required=True, help="the authors' DEEN/ folder")
    parser.add_argument('--dataset', choices=sorted(CONFIGS), default='sysu')
    parser.add_argument('--num-ids', type=int, default=3, help='P identities in the batch')
    parser.add_argument('--num-instances', type=int, default=2, help='K images per modality')
    parser.add_argument('--height', type=int, default=96)
    parser.add_argument('--width', type=int, default=48)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--dtype', choices=('float64', 'float32'), default='float64',
                        help='precision of both models (float64 isolates the maths from '
                        'rounding)')
    return parser.parse_args()


def _without_download(build, pretrained=False, **kwargs):
    """The code's ResNet constructor with its ImageNet download switched off."""
    return build(pretrained=False, **kwargs)


def reference_modules(reference_dir: str):
    """The code's ``model`` and ``loss`` modules, its ResNets built without a download."""
    if not osp.isfile(osp.join(reference_dir, 'model.py')):
        print(f'reference_parity_deen: {reference_dir} holds no model.py (the DEEN/ folder)',
              file=sys.stderr)
        sys.exit(2)
    sys.path.insert(0, osp.abspath(reference_dir))
    import loss as ref_loss
    import model as ref_model
    ref_model.resnet50 = functools.partial(_without_download, ref_model.resnet50)
    return ref_model, ref_loss


def randomise_batchnorms(net: nn.Module, generator: torch.Generator) -> None:
    """Random affine parameters and running statistics for every BatchNorm."""
    for module in net.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            size = module.num_features
            module.weight.data = torch.rand(size, generator=generator) + 0.5
            module.bias.data = torch.randn(size, generator=generator) * 0.1
            module.running_mean = torch.randn(size, generator=generator) * 0.1
            module.running_var = torch.rand(size, generator=generator) + 0.5


def reference_losses(net, ref_loss, x1, x2, label1, label2, seed):
    """The loss terms of the code's ``train()`` (DEEN/train.py; lambda_1 0.8, lambda_2 0.01)."""
    labs = torch.cat((label1, label2, label1, label2), 0)
    labels = torch.cat((label1, label2, label1, label2, label1, label2), 0)
    torch.manual_seed(seed)
    feat1, out1, loss_ort = net(x1, x2)
    ft1, ft2, ft3 = torch.chunk(feat1, 3, 0)
    cpm = ref_loss.CPMLoss(margin=0.2)
    return dict(
        loss_id=nn.CrossEntropyLoss()(out1, labels),
        loss_tri=ref_loss.OriTripletLoss(batch_size=x1.shape[0], margin=0.3)(feat1, labels),
        loss_cpm=(cpm(torch.cat((ft1, ft2), 0), labs) + cpm(torch.cat((ft1, ft3), 0), labs)) * 0.8,
        loss_ort=loss_ort * 0.01)


def reference_optimizer(net, lr=0.1, epoch=0):
    """DEEN/train.py's SGD groups at ``adjust_learning_rate(epoch)`` (warm-up epoch 0)."""
    lr = lr * (epoch + 1) / 10
    head = {id(p) for p in (*net.bottleneck.parameters(), *net.classifier.parameters())}
    base = [p for p in net.parameters() if id(p) not in head]
    return torch.optim.SGD([
        dict(params=base, lr=0.1 * lr),
        dict(params=list(net.bottleneck.parameters()), lr=lr),
        dict(params=list(net.classifier.parameters()), lr=lr)],
        weight_decay=5e-4, momentum=0.9, nesterov=True)


def reference_test_feature(net, images, modal):
    """The code's test feature: the six L2-normalised parts of image + mirror, concatenated."""
    pool, fc = net(images, images, modal)
    pool_m, fc_m = net(images.flip(3), images.flip(3), modal)
    pool, fc = pool + pool_m, fc + fc_m
    n = images.shape[0]
    return torch.cat([part[b * n:(b + 1) * n] for b in range(3) for part in (pool, fc)], dim=1)


def relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / b.abs().max().clamp(min=1e-30)).item()


def main():
    args = parse_args()
    register_all_modules()
    MMLogger.get_instance('reference_parity_deen', log_level='WARNING')  # quiet optimiser build
    ref_model, ref_loss = reference_modules(args.reference_dir)
    torch.manual_seed(args.seed)
    cfg = Config.fromfile(osp.join(REPO, CONFIGS[args.dataset]))
    num_classes = 2 * args.num_ids
    ref = ref_model.embed_net(num_classes, args.dataset)
    randomise_batchnorms(ref, torch.Generator().manual_seed(args.seed))
    dtype = getattr(torch, args.dtype)
    ref.to(dtype)

    cfg.model.backbone.init_cfg = None
    cfg.model.head.num_classes = num_classes
    model = MODELS.build(cfg.model).to(dtype)
    converted = convert_state_dict(ref.state_dict(), 'deen')
    model.load_state_dict(converted, strict=True)
    print(f'converted {len(converted)} tensors, dropped '
          f'{len(ref.state_dict()) - len(converted)} unused reference tensors')

    gen = torch.Generator().manual_seed(args.seed + 1)
    batch = args.num_ids * args.num_instances
    shape = (batch, 3, args.height, args.width)
    x1 = torch.randn(shape, generator=gen, dtype=dtype)
    x2 = torch.randn(shape, generator=gen, dtype=dtype)
    label = torch.arange(args.num_ids).repeat_interleave(args.num_instances) * 2
    inputs = torch.cat((x1, x2))
    modalities = torch.cat((torch.zeros(batch), torch.ones(batch))).long()
    labels = torch.cat((label, label))
    failures = []

    def report(name, value, tol):
        status = 'ok' if value <= tol else 'FAIL'
        print(f'{name:<44s} {value:.3e}  (tol {tol:.0e}) {status}')
        if value > tol:
            failures.append(name)

    # test features, eval mode
    ref.eval()
    model.eval()
    with torch.no_grad():
        for modal, (name, images, code) in ((1, ('visible', x1, 0)), (2, ('infrared', x2, 1))):
            expected = reference_test_feature(ref, images, modal)
            codes = torch.full((batch, ), code, dtype=torch.long)
            ours = (model.head.predict(model.backbone(images, codes)) +
                    model.head.predict(model.backbone(images.flip(3), codes)))
            report(f'test feature ({name}), max abs diff', (ours - expected).abs().max().item(),
                   FEATURE_TOL)
            final = model.features(images, codes)
            report(f'  normalised ({name}), max abs diff',
                   (final - F.normalize(expected)).abs().max().item(), FEATURE_TOL)

    # training losses and gradients, train mode, same dropout draws
    ref.train()
    model.train()
    expected = reference_losses(ref, ref_loss, x1, x2, label, label, args.seed)
    torch.manual_seed(args.seed)
    ours = model.head.loss(model.backbone(inputs, modalities), labels, modalities)
    for term, value in expected.items():
        report(f'{term} (ref {value.item():.6f}), relative diff', relative(ours[term], value),
               RELATIVE_TOL)
    sum(expected.values()).backward()
    sum(ours.values()).backward()
    last_ref = ref.base_resnet.base.layer4[-1].conv3 if args.dataset != 'regdb' else \
        ref.base_resnet.base.layer3[-1].conv3
    pairs = {
        'grad stem conv1 (visible)': (model.backbone.specific[0][0].conv1,
                                      ref.visible_module.visible.conv1),
        'grad stem conv1 (infrared)': (model.backbone.specific[1][0].conv1,
                                       ref.thermal_module.thermal.conv1),
        'grad last conv (shared)': (model.backbone.shared[-1][-1].conv3, last_ref),
    }
    for name, (mine, theirs) in pairs.items():
        report(f'{name}, relative diff', relative(mine.weight.grad, theirs.weight.grad),
               RELATIVE_TOL)

    # one optimiser step of the recipe at epoch 0
    ref_optim = reference_optimizer(ref)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    warmup = dict(cfg.param_scheduler[0], optimizer=wrapper)
    PARAM_SCHEDULERS.build(warmup)
    before = {k: v.clone() for k, v in model.named_parameters()}
    ref_optim.step()
    wrapper.step()
    stepped = convert_state_dict(ref.state_dict(), 'deen')
    weights = max(relative(model.get_parameter(k), stepped[k]) for k in before)
    report('weights after one step, max relative diff', weights, RELATIVE_TOL)
    if dtype == torch.float64:  # in float32, w_new - w_old of tiny updates is mostly rounding
        updates = max(relative(model.get_parameter(k) - before[k], stepped[k] - before[k])
                      for k in before if model.get_parameter(k).grad is not None)
        report('update of one step, max relative diff', updates, RELATIVE_TOL)
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
