"""Compare a method of the toolbox with its authors' code on one batch, with identical weights.

``python tools/misc/reference_parity.py METHOD --reference-dir DIR [--dataset D] [--dtype T]``

The authors' code is imported from ``--reference-dir`` (a checkout kept outside this
repository, never part of it). Each method is a thin adapter next to this file
(``reference_parity_<name>.py``: how the code builds its network, its test feature, its loss
terms and its optimiser); this core runs the same four checks for every method:

1. test features (eval mode), max abs difference;
2. every training loss term (train mode, same batch and labels, same dropout draws), relative;
3. gradients of the summed loss: both stems' ``conv1`` and the last conv of the shared stages
   (relative), plus the worst over all parameters;
4. one optimizer step of the recipe at epoch 0: every weight and buffer afterwards, and (float64)
   the update itself.

The reference network gets random BatchNorm affine parameters and running statistics measured
on two random batches, its state dict is converted with ``convert_reference_checkpoint.py`` and
loaded strictly into the toolbox model of the method's config. In float64 (the default, so that
differences are the implementations' and not rounding's) every figure must be within its
tolerance (exit status 1 otherwise); float32 prints the figures and how far rounding moves the
reference's own gradients, without a verdict. A ``--reference-dir`` that does not hold the
adapter's files ends with exit status 2.
"""
import argparse
import copy
import importlib
import os.path as osp
import re
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS

from convert_reference_checkpoint import convert_state_dict
from vireid_toolbox.registry import MODELS
from vireid_toolbox.structures import ReIDDataSample
from vireid_toolbox.utils import register_all_modules
from vireid_toolbox.utils.config_check import drop_init_cfg

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ADAPTERS = {'agw': 'reference_parity_agw.AGW', 'caj': 'reference_parity_agw.CAJ',
            'deen': 'reference_parity_deen.DEEN', 'hctri': 'reference_parity_hctri.HcTri'}
"""Method → its adapter class (``module.Class``, the module next to this file)."""
FEATURE_TOL = RELATIVE_TOL = 1e-5
VANISHING = 1e-6  # a gradient below this × the model's largest is compared by absolute diff
Tensor = torch.Tensor


class ParityError(Exception):
    """A reference directory the adapter cannot import from."""


@dataclass
class Batch:
    """One training batch: ``P`` ids × ``K`` images per modality (visible views first)."""
    visible: Tensor  # the visible stream's input (CAJ: images and their exchanged views)
    infrared: Tensor
    visible_labels: Tensor
    infrared_labels: Tensor
    test_visible: Tensor  # the images whose test features are compared
    test_infrared: Tensor

    @property
    def inputs(self) -> Tensor:
        return torch.cat((self.visible, self.infrared))

    @property
    def labels(self) -> Tensor:
        return torch.cat((self.visible_labels, self.infrared_labels))

    @property
    def modalities(self) -> Tensor:
        return torch.cat((torch.zeros(len(self.visible)), torch.ones(len(self.infrared)))).long()


class Adapter:
    """What differs between methods. Subclasses set the class attributes and the methods.

    ``method``: the converter's mapping. ``reference``: where the code comes from.
    ``configs``: dataset name → toolbox config (the first is the default).
    ``reference_files``: the code's files in ``--reference-dir``, imported as modules.
    ``step_exempt``: toolbox key regex → why one step leaves it different by design
    (reported by absolute difference, not judged).
    """
    method: str
    reference: str
    configs: Dict[str, str]
    reference_files: Sequence[str] = ('model.py', 'loss.py')
    step_exempt: Dict[str, str] = {}

    def __init__(self, reference_dir: str, dataset: str):
        self.dataset = dataset
        missing = [name for name in self.reference_files
                   if not osp.isfile(osp.join(reference_dir, name))]
        if missing:
            raise ParityError(f'{reference_dir} holds no {", ".join(missing)} (expected the '
                              f'{self.method} reference code: {self.reference})')
        sys.path.insert(0, osp.abspath(reference_dir))
        self.modules = {name: importlib.import_module(osp.splitext(name)[0])
                        for name in self.reference_files}

    def build_reference(self, num_classes: int) -> nn.Module:
        raise NotImplementedError

    def prepare_reference(self, net: nn.Module) -> None:
        """Adjust the randomised reference before its weights are copied (default: nothing)."""

    def make_batch(self, num_ids: int, num_instances: int, shape: Tuple[int, int],
                   generator: torch.Generator) -> Batch:
        """``num_ids`` × ``num_instances`` random images per modality, labels ``0..P-1``."""
        size = (num_ids * num_instances, 3, *shape)
        visible = torch.randn(size, generator=generator)
        infrared = torch.randn(size, generator=generator)
        labels = torch.arange(num_ids).repeat_interleave(num_instances)
        return Batch(visible, infrared, labels, labels.clone(), visible, infrared)

    def reference_losses(self, net: nn.Module, batch: Batch) -> Dict[str, Tensor]:
        """The terms the code's training step adds to its total, named as the toolbox's."""
        raise NotImplementedError

    def reference_features(self, net: nn.Module, images: Tensor, modal: int) -> Tensor:
        """The code's test feature of ``images`` (``modal`` 1 visible, 2 infrared)."""
        raise NotImplementedError

    def feature_pairs(self, model: nn.Module, net: nn.Module,
                      batch: Batch) -> Dict[str, Tuple[Tensor, Tensor]]:
        """Name → (toolbox, reference) test features; by default ``model.features``."""
        pairs = {}
        for name, images, modality in (('visible', batch.test_visible, 0),
                                       ('infrared', batch.test_infrared, 1)):
            codes = torch.full((len(images), ), modality, dtype=torch.long)
            pairs[f'test feature ({name})'] = (model.features(images, codes),
                                               self.reference_features(net, images, modality + 1))
        return pairs

    def reference_optimizer(self, net: nn.Module) -> torch.optim.Optimizer:
        """The code's optimiser with the learning rates of its first epoch."""
        raise NotImplementedError

    def convert(self, state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
        return convert_state_dict(state_dict, self.method)


def without_download(module, name: str = 'resnet50') -> None:
    """Build the code's ResNets with ``pretrained=False`` (no network; the weights are copied)."""
    build = getattr(module, name)
    setattr(module, name, lambda pretrained=False, **kwargs: build(pretrained=False, **kwargs))


def code_sgd(net: nn.Module, heads: Sequence[nn.Module], lr: float = 0.1) -> torch.optim.SGD:
    """The SGD of the AGW training scripts, which the HcTri, CAJ and DEEN codes keep: ``heads``
    at ``lr``, every other parameter at 0.1 × ``lr``, both scaled by their warm-up's first
    epoch (``(epoch + 1) / 10``); Nesterov, momentum 0.9, weight decay 5e-4."""
    lr = lr / 10
    head_ids = {id(p) for head in heads for p in head.parameters()}
    return torch.optim.SGD(
        [dict(params=[p for p in net.parameters() if id(p) not in head_ids], lr=0.1 * lr),
         *(dict(params=list(head.parameters()), lr=lr) for head in heads)],
        weight_decay=5e-4, momentum=0.9, nesterov=True)


def relative(ours: Tensor, theirs: Tensor) -> float:
    """``max |ours - theirs| / max |theirs|``."""
    ours, theirs = ours.detach().double(), theirs.detach().double()
    return ((ours - theirs).abs().max() / theirs.abs().max().clamp(min=1e-30)).item()


def absolute(ours: Tensor, theirs: Tensor) -> float:
    return (ours.detach().double() - theirs.detach().double()).abs().max().item()


def randomise_batchnorms(net: nn.Module, calibrate: Callable[[], None], seed: int) -> None:
    """Random BatchNorm affine parameters (so zero-initialised ones, e.g. non-local output BNs,
    take part), then running statistics averaged over ``calibrate()``'s train-mode forwards,
    so that eval mode sees activations of a trained model's scale."""
    gen = torch.Generator().manual_seed(seed)
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for norm in norms:
            size = norm.num_features
            norm.weight.copy_(0.8 + 0.4 * torch.rand(size, generator=gen))
            if norm.bias.requires_grad:  # a frozen BNNeck shift stays 0
                norm.bias.copy_(0.1 * torch.randn(size, generator=gen))
            norm.reset_running_stats()
            norm.momentum = None  # cumulative average over the calibration batches
        net.train()
        calibrate()
    for norm in norms:
        norm.momentum = 0.1
        norm.num_batches_tracked.zero_()


def toolbox_model(config: str, num_classes: int) -> Tuple[Config, nn.Module]:
    cfg = Config.fromfile(osp.join(REPO, config))
    model_cfg = cfg.model.to_dict()
    drop_init_cfg(model_cfg)
    model_cfg['head']['num_classes'] = num_classes
    return cfg, MODELS.build(model_cfg)


def toolbox_losses(model: nn.Module, batch: Batch) -> Dict[str, Tensor]:
    samples = [ReIDDataSample(metainfo=dict(modality=int(m))).set_gt_label(int(label))
               for m, label in zip(batch.modalities, batch.labels)]
    return model.loss(batch.inputs, samples)


class Report:
    """Figures with their tolerance; a verdict only when ``judged`` (float64)."""

    def __init__(self, judged: bool):
        self.judged, self.failures = judged, []

    def figure(self, name: str, value: float, tol: Optional[float] = None) -> None:
        if tol is None or not self.judged:
            print(f'  {name:<58s} {value:.3e}')
            return
        ok = value <= tol
        print(f'  {name:<58s} {value:.3e}  (tol {tol:.0e}) {"ok" if ok else "FAIL"}')
        if not ok:
            self.failures.append(name)

    @staticmethod
    def section(title: str) -> None:
        print(f'\n{title}')


def last_shared_conv(params: Dict[str, Tensor]) -> str:
    """The toolbox key of the backbone's last layer: the last conv of the shared stages."""
    keys = [k for k in params if re.fullmatch(r'backbone\.shared\.\d+\.\d+\.conv\d\.weight', k)]
    return max(keys, key=lambda k: [int(n) for n in re.findall(r'\d+', k)])


def converted_gradients(adapter: Adapter, net: nn.Module) -> Dict[str, Tensor]:
    """The reference's gradients under toolbox names (buffers and unused weights as values, so
    that the mapping sees every key it expects)."""
    grads = {k: p.grad for k, p in net.named_parameters() if p.grad is not None}
    return adapter.convert({k: grads.get(k, v) for k, v in net.state_dict().items()})


def compare_gradients(report: Report, adapter: Adapter, model: nn.Module, net: nn.Module,
                      net64: Optional[nn.Module]) -> None:
    ours = dict(model.named_parameters())
    grads = converted_gradients(adapter, net)
    named = {'visible stem conv1': 'backbone.specific.0.0.conv1.weight',
             'infrared stem conv1': 'backbone.specific.1.0.conv1.weight'}
    named[f'last layer ({last_shared_conv(ours)[len("backbone."):-len(".weight")]})'] = \
        last_shared_conv(ours)
    for name, key in named.items():
        report.figure(f'gradient, {name}, relative', relative(ours[key].grad, grads[key]),
                      RELATIVE_TOL)
    scale = max(g.abs().max().item() for k, g in grads.items() if k in ours)
    live, dead = [], []
    for key, param in ours.items():
        if param.grad is None:
            continue
        if grads[key].abs().max().item() < VANISHING * scale:
            dead.append((absolute(param.grad, grads[key]), key))
        else:
            live.append((relative(param.grad, grads[key]), key))
    report.figure(f'gradient, worst of {len(live)} parameters ({max(live)[1]}), relative',
                  max(live)[0])
    if dead:
        report.figure(f'gradient, {len(dead)} vanishing (< {VANISHING:g} x largest |g| '
                      f'{scale:.1e}), worst abs', max(dead)[0])
    if net64 is not None:  # how far float32 rounding moves the reference's own gradients
        grads64 = converted_gradients(adapter, net64)
        for name, key in named.items():
            report.figure(f'reference float32 vs float64, {name}, relative',
                          relative(grads[key], grads64[key]))


def toolbox_optimizer(cfg: Config, model: nn.Module):
    """The config's optimizer wrapper with the learning rates of its first step (its schedulers
    built as the Runner does; iteration-based ones see an epoch of one iteration)."""
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    for scheduler in cfg.get('param_scheduler') or []:
        PARAM_SCHEDULERS.build(scheduler, default_args=dict(optimizer=wrapper, epoch_length=1))
    return wrapper


def compare_step(report: Report, adapter: Adapter, cfg: Config, model: nn.Module,
                 net: nn.Module) -> None:
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    wrapper = toolbox_optimizer(cfg, model)
    adapter.reference_optimizer(net).step()
    wrapper.step()
    stepped = adapter.convert(net.state_dict())
    ours = model.state_dict()
    judged, exempt = [], {}
    for key, value in stepped.items():
        if not value.dtype.is_floating_point:
            continue
        pattern = next((p for p in adapter.step_exempt if re.search(p, key)), None)
        if pattern:
            exempt.setdefault(pattern, []).append(absolute(ours[key], value))
        else:
            judged.append((relative(ours[key], value), key))
    worst = max(judged)
    report.figure(f'after one step, worst of {len(judged)} tensors ({worst[1]}), relative',
                  worst[0], RELATIVE_TOL)
    for pattern, values in exempt.items():
        report.figure(f'after one step, {pattern} (abs; {adapter.step_exempt[pattern]})',
                      max(values))
    if torch.get_default_dtype() == torch.float64:  # in float32 tiny updates are mostly rounding
        updates = [relative(ours[k] - before[k], stepped[k] - before[k])
                   for k, p in model.named_parameters() if p.grad is not None]
        report.figure('update of one step, worst relative', max(updates), RELATIVE_TOL)


def run(adapter: Adapter, dtype: torch.dtype = torch.float64, num_ids: int = 3,
        num_instances: int = 2, shape: Tuple[int, int] = (288, 144),
        seed: int = 0) -> List[str]:
    """The four checks of ``adapter``'s method; returns the names of the failed figures."""
    torch.set_default_dtype(dtype)
    torch.manual_seed(seed)
    num_classes = 2 * num_ids + 4  # classifier rows no label of the batch uses take part too
    gen = torch.Generator().manual_seed(seed + 1)
    batch = adapter.make_batch(num_ids, num_instances, shape, gen)
    net = adapter.build_reference(num_classes)
    calibration = [adapter.make_batch(num_ids, num_instances, shape, gen) for _ in range(2)]
    randomise_batchnorms(
        net, lambda: [adapter.reference_losses(net, b) for b in calibration], seed)
    adapter.prepare_reference(net)
    cfg, model = toolbox_model(adapter.configs[adapter.dataset], num_classes)
    model.load_state_dict(adapter.convert(net.state_dict()), strict=True)
    report = Report(judged=dtype == torch.float64)
    print(f'{adapter.method} ({adapter.dataset}): {adapter.reference}; toolbox '
          f'{adapter.configs[adapter.dataset]}; {dtype}; {num_ids} ids x {num_instances} images '
          f'per modality at {shape[0]}x{shape[1]}')

    report.section('test features (eval mode)')
    net.eval()
    model.eval()
    with torch.no_grad():
        for name, (ours, theirs) in adapter.feature_pairs(model, net, batch).items():
            report.figure(f'{name}, max abs diff', absolute(ours, theirs), FEATURE_TOL)

    report.section('training loss terms (train mode)')
    net.train()
    model.train()
    net64 = copy.deepcopy(net).double() if dtype == torch.float32 else None
    torch.manual_seed(seed)  # the same dropout draws in both
    theirs = adapter.reference_losses(net, batch)
    torch.manual_seed(seed)
    ours = toolbox_losses(model, batch)
    unmatched = sorted(set(theirs) ^ {k for k in ours if k.startswith('loss')})
    degenerate = [term for term, value in theirs.items() if not torch.isfinite(value)]
    for problem in ([f'loss terms in one code only: {unmatched}'] if unmatched else []) + [
            f'{term} of the reference is not finite (another batch or --height/--width)'
            for term in degenerate]:
        report.failures.append(problem)
        print(f'  {problem}  FAIL')
    for term, value in theirs.items():
        if term in ours:
            report.figure(f'{term} (reference {value.item():.6g}), relative',
                          relative(ours[term], value), RELATIVE_TOL)
    sum(theirs.values()).backward()
    sum(value for term, value in ours.items() if term.startswith('loss')).backward()
    if net64 is not None:
        batch64 = Batch(*(t.double() if t.is_floating_point() else t
                          for t in vars(batch).values()))
        torch.manual_seed(seed)
        sum(adapter.reference_losses(net64, batch64).values()).backward()

    report.section('gradients of the summed loss')
    compare_gradients(report, adapter, model, net, net64)
    report.section('one optimizer step of the recipe (epoch 0)')
    compare_step(report, adapter, cfg, model, net)
    return report.failures


def adapter_class(method: str) -> type:
    module, name = ADAPTERS[method].split('.')
    return getattr(importlib.import_module(module), name)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('method', choices=sorted(ADAPTERS))
    parser.add_argument('--reference-dir', required=True,
                        help="the authors' code: the folder holding its model and loss files")
    parser.add_argument('--dataset', help="which config's model (default: the adapter's first)")
    parser.add_argument('--dtype', choices=('float64', 'float32'), default='float64')
    parser.add_argument('--height', type=int, default=288)
    parser.add_argument('--width', type=int, default=144)
    return parser.parse_args()


def main():
    args = parse_args()
    register_all_modules()
    MMLogger.get_instance('reference_parity', log_level='WARNING')  # quiet optimiser build
    chosen = adapter_class(args.method)
    dataset = args.dataset or next(iter(chosen.configs))
    try:
        if dataset not in chosen.configs:
            raise ParityError(f'{args.method} has no --dataset {dataset}; expected one of '
                              f'{sorted(chosen.configs)}')
        adapter = chosen(args.reference_dir, dataset)
    except ParityError as error:
        print(f'reference_parity.py: error: {error}', file=sys.stderr)
        sys.exit(2)
    failures = run(adapter, getattr(torch, args.dtype), shape=(args.height, args.width))
    print('\n' + (f'FAILED: {", ".join(failures)}' if failures else 'all within tolerance'
                  if args.dtype == 'float64' else 'float32: figures only, no verdict'))
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
