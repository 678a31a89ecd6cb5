"""Hook that advances momentum (slow) copies after every optimizer step."""
from typing import List, Optional

import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict

from vireid_toolbox.registry import HOOKS


def momentum_modules(model: nn.Module) -> List[nn.Module]:
    """Sub-modules of ``model`` that define ``momentum_update()``."""
    if is_model_wrapper(model):
        model = model.module
    return [m for m in model.modules() if callable(getattr(m, 'momentum_update', None))]


def torch_optimizers(optim_wrapper) -> List[torch.optim.Optimizer]:
    """The torch optimizers an mmengine optimizer wrapper (or wrapper dict) steps."""
    if isinstance(optim_wrapper, OptimWrapperDict):
        return [wrapper.optimizer for wrapper in optim_wrapper.values()]
    return [optim_wrapper.optimizer]


@HOOKS.register_module()
class MomentumUpdateHook(Hook):
    """Call ``momentum_update()`` of every module that has one, after each optimizer step.

    PDFENet's :class:`CMCELoss` keeps momentum copies of its modality
    classifiers (eq. 13-14, ``theta_M = a theta_M + (1 - a) theta_C``); the
    coefficient ``a`` is the loss's ``momentum`` (0.7 in the paper), so the
    copies and their rule live in one module and this hook only says *when*:
    after an iteration in which the torch optimizer really stepped (seen by an
    optimizer step post-hook). So the update follows the real optimizer steps,
    not the iterations: none during gradient accumulation, and none when the
    AMP grad scaler skips a step whose gradients overflowed. The copies are
    buffers: checkpoints keep them and ``--resume`` restores them. A config
    whose model has such copies and no ``MomentumUpdateHook`` is refused by
    :func:`vireid_toolbox.utils.check_config`.

    Args:
        priority (str): Hook priority. Defaults to ``'NORMAL'``; it runs after
            the optimizer step, which happens inside ``train_step``.
    """

    priority = 'NORMAL'

    def __init__(self):
        self._stepped = False
        self._handles = []

    def _mark_stepped(self, optimizer, args, kwargs) -> None:
        self._stepped = True

    def before_train(self, runner) -> None:
        """Fail early when nothing has momentum copies; watch the optimizers' steps."""
        if not momentum_modules(runner.model):
            raise ValueError('MomentumUpdateHook is configured, but no module of the model defines '
                             'momentum_update() (e.g. CMCELoss): remove the hook or fix the model')
        self._handles = [optimizer.register_step_post_hook(self._mark_stepped)
                         for optimizer in torch_optimizers(runner.optim_wrapper)]

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._stepped = False

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Update the momentum copies if this iteration stepped the optimizer."""
        if not self._stepped:
            return
        self._stepped = False
        for module in momentum_modules(runner.model):
            module.momentum_update()

    def after_train(self, runner) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
