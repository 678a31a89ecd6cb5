"""DEEN's backbone: a two-stream ResNet with MFA fusion after each stage and DEE before the last."""
from typing import Optional, Tuple

import torch
import torch.nn as nn

from vireid_toolbox.registry import MODELS
from .deen_modules import DEEModule, MFABlock
from .dual_stream_resnet import DualStreamResNet


def _out_channels(stage: nn.Module) -> int:
    """Output channels of a torchvision ResNet stage (its last block's last BN)."""
    last = stage[-1]
    return (last.bn3 if hasattr(last, 'bn3') else last.bn2).num_features


@MODELS.register_module()
class DEENResNet(DualStreamResNet):
    """Diverse Embedding Expansion Network backbone (Zhang & Wang, CVPR 2023).

    Stage0 is modality-specific, ``layer1 .. layer<last_stage>`` are shared
    (:class:`DualStreamResNet` with ``specific_stages=(0,)``). After every
    shared stage but the last, an :class:`MFABlock` fuses the stage's output
    with its input; the map entering the last stage goes through the
    :class:`DEEModule`, which stacks it with its expansions along the batch.
    The code's SYSU-MM01/LLCM model uses ``last_stage=4`` (MFA after layer1-3,
    DEE before layer4, 2048-d); its RegDB model ``last_stage=3`` (no layer4,
    DEE before layer3, 1024-d).

    Args:
        depth (int): ResNet depth. Defaults to 50.
        last_stage (int): Last ResNet stage used, 3 or 4. Defaults to 4.
        num_expansions (int): DEE's new embeddings. Defaults to 2.
        dee_dropout (float): Dropout after DEE. Defaults to 0.01.
        last_stride (int): Stride of layer4. Defaults to 1 (the code's).
        init_cfg (dict, optional): As :class:`DualStreamResNet` (ImageNet
            weights into the ResNet stages; MFA and DEE keep the code's init).

    Returns:
        ``forward(x, modalities)`` returns ``1 + num_expansions`` maps
        ``N x C x H x W``: the original embedding, then each expansion.
    """

    def __init__(self,
                 depth: int = 50,
                 last_stage: int = 4,
                 num_expansions: int = 2,
                 dee_dropout: float = 0.01,
                 last_stride: int = 1,
                 init_cfg: Optional[dict] = None):
        super().__init__(depth=depth, specific_stages=(0, ), shared_stages=(1, 2, 3, 4),
                         last_stride=last_stride, init_cfg=init_cfg)
        if last_stage not in (3, 4):
            raise ValueError(f'DEENResNet: last_stage must be 3 or 4, got {last_stage}')
        self.last_stage = last_stage
        self.num_embeddings = 1 + num_expansions
        self.shared = self.shared[:last_stage]
        self.shared_stages = self.shared_stages[:last_stage]
        channels = [self.specific[0][0].bn1.num_features]  # stage0
        channels += [_out_channels(stage) for stage in self.shared]
        # MFA k fuses layer k's output (channels[k]) with its input (channels[k - 1]);
        # layer1 keeps the resolution, the others halve it
        self.mfa = nn.ModuleList(
            MFABlock(channels[k], channels[k - 1], stride=1 if k == 1 else 2)
            for k in range(1, last_stage))
        self.dee = DEEModule(channels[last_stage - 1], num_expansions, dee_dropout)

    def forward(self, x: torch.Tensor, modalities: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Stage0 per modality, shared stages with MFA, DEE, last stage; one map per embedding."""
        self._check_modalities(x, modalities)
        x = self.forward_specific(x, modalities.to(x.device))
        for k, stage in enumerate(self.shared, start=1):
            if k == self.last_stage:
                x = stage(self.dee(x))
            else:
                x = self.mfa[k - 1](stage(x), x)
        return x.chunk(self.num_embeddings, dim=0)
