"""``torch.compile`` the model, falling back to eager execution with a warning."""
import warnings

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from vireid_toolbox.registry import HOOKS


@HOOKS.register_module()
class TorchCompileHook(Hook):
    """Compile the model's forward with ``torch.compile`` before training.

    The model is compiled in place (``nn.Module.compile``), so its state-dict
    keys, checkpoints and hooks are those of the eager model. Where compilation
    is unsupported (a torch without ``torch.compile``, an interpreter dynamo
    does not support, no C++ compiler for the CPU backend, a failing backend)
    a ``RuntimeWarning`` names the reason once and the model runs eagerly from
    then on; an error of the model itself is raised again by the eager call.

    Config switch: ``custom_hooks = [dict(type='TorchCompileHook')]``; keyword
    arguments go to ``torch.compile`` (``backend``, ``mode``, ``dynamic``, ...).
    mmengine's own ``compile=True`` compiles ``train_step`` without this fallback.
    """

    priority = 'VERY_LOW'

    def __init__(self, **compile_kwargs):
        self.compile_kwargs = compile_kwargs

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        try:
            model.compile(**self.compile_kwargs)
        except Exception as error:  # noqa: BLE001 - any reason compilation is unavailable
            _warn_eager(error)
            return
        compiled = model._compiled_call_impl

        def compiled_or_eager(*args, **kwargs):
            try:
                return compiled(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - the eager call re-raises the model's own
                model._compiled_call_impl = None
                _warn_eager(error)
                return model._call_impl(*args, **kwargs)

        model._compiled_call_impl = compiled_or_eager


def _warn_eager(error: Exception) -> None:
    reason = ' '.join(str(error).split())[:300]
    warnings.warn(f'TorchCompileHook: torch.compile is unavailable here, training runs eagerly '
                  f'({type(error).__name__}: {reason})', RuntimeWarning, stacklevel=2)
