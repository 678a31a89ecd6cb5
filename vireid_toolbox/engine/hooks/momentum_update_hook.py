"""Hook that advances momentum (slow) copies after every optimizer step."""
from typing import List, Optional

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from vireid_toolbox.registry import HOOKS


def momentum_modules(model: nn.Module) -> List[nn.Module]:
    """Sub-modules of ``model`` that define ``momentum_update()``."""
    if is_model_wrapper(model):
        model = model.module
    return [m for m in model.modules() if callable(getattr(m, 'momentum_update', None))]


@HOOKS.register_module()
class MomentumUpdateHook(Hook):
    """Call ``momentum_update()`` of every module that has one, after each optimizer step.

    PDFENet's :class:`CMCELoss` keeps momentum copies of its modality
    classifiers (eq. 13-14, ``theta_M = a theta_M + (1 - a) theta_C``); the
    coefficient ``a`` is the loss's ``momentum`` (0.7 in the paper), so the
    copies and their rule live in one module and this hook only says *when*.
    With gradient accumulation the update follows the real optimizer steps,
    not every iteration. The copies are buffers: checkpoints keep them and
    ``--resume`` restores them.

    Args:
        priority (str): Hook priority. Defaults to ``'NORMAL'``; it runs after
            the optimizer step, which happens inside ``train_step``.
    """

    priority = 'NORMAL'

    def before_train(self, runner) -> None:
        """Fail early when the config asks for the hook but the model has nothing to update."""
        if not momentum_modules(runner.model):
            raise ValueError('MomentumUpdateHook is configured, but no module of the model defines '
                             'momentum_update() (e.g. CMCELoss): remove the hook or fix the model')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Update the momentum copies if this iteration stepped the optimizer."""
        should_update = getattr(runner.optim_wrapper, 'should_update', None)
        if should_update is not None and not should_update():
            return
        for module in momentum_modules(runner.model):
            module.momentum_update()
