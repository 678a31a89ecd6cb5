"""Train in the channels-last (NHWC) memory format that GPU tensor cores prefer."""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from vireid_toolbox.registry import HOOKS


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Store the model's 4-D weights as ``torch.channels_last`` before the run.

    Convolutions then run in NHWC (cuDNN's tensor-core kernels on a GPU; oneDNN
    on a CPU). Only the memory layout changes: the same parameter objects (the
    optimizer keeps its references), the same state-dict keys and values.
    Inputs need no conversion: a convolution with channels-last weights returns
    a channels-last output, and the layers after it keep that layout.

    Config switch: ``custom_hooks = [dict(type='ChannelsLastHook')]``.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        model.to(memory_format=torch.channels_last)
