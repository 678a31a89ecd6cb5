"""A ResNet whose stages are modality-specific, shared or duplicated per branch, set by config."""
import copy
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torchvision
from mmcv.cnn import NonLocal2d
from mmengine.model import BaseModule
from mmengine.runner import CheckpointLoader

from vireid_toolbox.registry import MODELS
from vireid_toolbox.utils.checkpoint import load_state_dict_strictly, read_checkpoint, state_dict_of

NUM_STAGES = 5
"""stage0 = conv1 + bn1 + relu + maxpool, stage1..4 = layer1..4."""

_TORCHVISION_RESNETS = {
    18: torchvision.models.resnet18,
    34: torchvision.models.resnet34,
    50: torchvision.models.resnet50,
    101: torchvision.models.resnet101,
}


def _torchvision_stages(depth: int, last_stride: int) -> List[nn.Module]:
    """The five stages of a randomly initialised torchvision ResNet.

    Sub-module names keep torchvision's (``conv1``/``bn1`` in stage0, the
    blocks ``0, 1, ...`` of ``layer<k>``) so that an ImageNet state dict loads
    into every copy of a stage by stripping the ``layer<k>.`` prefix.
    """
    net = _TORCHVISION_RESNETS[depth](weights=None)
    first_block = net.layer4[0]
    # torchvision puts the stride of a bottleneck on its 3x3 conv (conv2) and
    # of a basic block on conv1; the shortcut carries it on downsample[0].
    strided_conv = first_block.conv2 if hasattr(first_block, 'conv3') else first_block.conv1
    strided_conv.stride = (last_stride, last_stride)
    first_block.downsample[0].stride = (last_stride, last_stride)
    stage0 = nn.Sequential(
        OrderedDict(conv1=net.conv1, bn1=net.bn1, relu=net.relu, maxpool=net.maxpool))
    return [stage0, net.layer1, net.layer2, net.layer3, net.layer4]


def _stage_state_dict(state_dict: Dict[str, torch.Tensor],
                      stage: int) -> Dict[str, torch.Tensor]:
    """The entries of a torchvision ResNet state dict that belong to one stage."""
    if stage == 0:
        return {k: v for k, v in state_dict.items() if k.split('.')[0] in ('conv1', 'bn1')}
    prefix = f'layer{stage}.'
    return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}


def agw_non_local(channels: int) -> NonLocal2d:
    """The non-local block of the AGW code: dot product over ``h * w``, a 1-channel embedding.

    AGW's ``Non_local(c, reduc_ratio=2)`` sets ``inter_channels = reduc_ratio //
    reduc_ratio``, i.e. 1 (not ``c / 2``); we follow the code. Its output conv
    is followed by a BatchNorm initialised to zero, so the block starts as the
    identity. (The code's output conv also has a bias, which the BatchNorm
    cancels in training; ``tools/misc/convert_reference_checkpoint.py`` folds
    it into the running mean.)
    """
    return NonLocal2d(channels, reduction=channels, mode='dot_product',
                      norm_cfg=dict(type='BN'))


def _stage_channels(stage: nn.Module) -> int:
    """Output channels of a ResNet stage (its last block's last BatchNorm)."""
    return [m for m in stage.modules() if isinstance(m, nn.BatchNorm2d)][-1].num_features


@MODELS.register_module()
class DualStreamResNet(BaseModule):
    """ResNet split into modality-specific, shared and duplicated stages.

    Stage ``0`` is conv1 + bn1 + relu + maxpool and stages ``1..4`` are
    ``layer1..layer4`` (ADMPFF-Net Table 1 naming). Every stage takes exactly
    one role, in this order along the depth:

    - ``specific_stages``: one copy per modality; each sample goes through its
      own modality's copy, chosen from ``modalities`` (never from its position
      in the batch, so any batch layout gives the same per-sample result);
    - ``shared_stages``: one copy for all samples (the fusion module);
    - ``duplicated_stages``: ``num_branches`` independent copies, each fed the
      same fused map (ADMPFF-Net's disentanglement part, one copy per
      granularity branch).

    ``non_local`` inserts AGW's non-local blocks (:func:`agw_non_local`) after
    given residual blocks of shared stages: AGW puts them after blocks 2, 3 of
    layer2 and 3, 4, 5 of layer3, ``non_local=((2, (2, 3)), (3, (3, 4, 5)))``.

    Examples of the paper's rows: HcTri ``specific=(0, 1), shared=(2, 3, 4)``;
    ADMPFF-Net Table 4 "1–2" ``specific=(0,), shared=(1, 2),
    duplicated=(3, 4), num_branches=3``; Table 4 "2–4" ``specific=(0, 1),
    shared=(2, 3, 4)`` (no disentanglement).

    Args:
        depth (int): ResNet depth, one of 18, 34, 50, 101. Defaults to 50.
        specific_stages (Sequence[int]): Modality-specific stages.
        shared_stages (Sequence[int]): Shared stages.
        duplicated_stages (Sequence[int]): Stages copied per output branch.
        num_branches (int): Copies of the duplicated stages (output maps).
            Must be 1 when there are no duplicated stages.
        num_modalities (int): Copies of each specific stage. Defaults to 2
            (visible 0, infrared 1).
        last_stride (int): Stride of layer4; 1 doubles the output map size.
            Defaults to 1.
        non_local (Sequence[tuple]): ``(stage, block indices)`` pairs of
            shared stages; a non-local block follows each listed residual
            block (``non_local.stage<k>.<i>`` is the i-th of stage k). Defaults
            to none.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=...)``
            loads a torchvision ResNet state dict (``torchvision://resnet50``
            or a local path) into every copy of every stage; other init
            configs are handled by mmengine.

    Returns:
        ``forward(x, modalities)`` returns a tuple of ``num_branches`` feature
        maps ``N x C x H x W`` (one map when nothing is duplicated).
    """

    def __init__(self,
                 depth: int = 50,
                 specific_stages: Sequence[int] = (0, 1),
                 shared_stages: Sequence[int] = (2, 3, 4),
                 duplicated_stages: Sequence[int] = (),
                 num_branches: int = 1,
                 num_modalities: int = 2,
                 last_stride: int = 1,
                 non_local: Sequence[Tuple[int, Sequence[int]]] = (),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if depth not in _TORCHVISION_RESNETS:
            raise ValueError(f'DualStreamResNet: depth={depth} is not one of '
                             f'{sorted(_TORCHVISION_RESNETS)}')
        self.specific_stages = tuple(specific_stages)
        self.shared_stages = tuple(shared_stages)
        self.duplicated_stages = tuple(duplicated_stages)
        self._check_stage_roles()
        if not self.duplicated_stages and num_branches != 1:
            raise ValueError(f'DualStreamResNet: num_branches={num_branches} needs '
                             'duplicated_stages; without them there is one output map')
        if num_branches < 1 or num_modalities < 1:
            raise ValueError('DualStreamResNet: num_branches and num_modalities must be '
                             f'>= 1, got {num_branches} and {num_modalities}')
        self.depth = depth
        self.num_branches = num_branches
        self.num_modalities = num_modalities
        self.last_stride = last_stride

        template = _torchvision_stages(depth, last_stride)
        self.specific = nn.ModuleList(
            nn.Sequential(*[copy.deepcopy(template[s]) for s in self.specific_stages])
            for _ in range(num_modalities)) if self.specific_stages else None
        self.shared = nn.Sequential(*[template[s] for s in self.shared_stages])
        self.duplicated = nn.ModuleList(
            nn.Sequential(*[copy.deepcopy(template[s]) for s in self.duplicated_stages])
            for _ in range(num_branches)) if self.duplicated_stages else None
        self.non_local_after = self._check_non_local(non_local, template)
        self.non_local = nn.ModuleDict({
            f'stage{stage}': nn.ModuleList(
                agw_non_local(_stage_channels(template[stage])) for _ in blocks)
            for stage, blocks in self.non_local_after.items()})

    def _check_non_local(self, non_local, template) -> Dict[int, Tuple[int, ...]]:
        """``{stage: sorted block indices}`` of the non-local blocks, checked."""
        after = {}
        for stage, blocks in non_local:
            if stage not in self.shared_stages or stage == 0 or stage in after:
                raise ValueError(f'DualStreamResNet: non_local stage {stage} must be a shared '
                                 f'residual stage (one of {self.shared_stages}, not 0) listed once')
            blocks = tuple(sorted(blocks))
            if not blocks or blocks[0] < 0 or blocks[-1] >= len(template[stage]):
                raise ValueError(f'DualStreamResNet: non_local blocks {blocks} of stage {stage} '
                                 f'are not block indices of a {len(template[stage])}-block stage')
            after[stage] = blocks
        return after

    def _run_stage(self, stage: int, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """A stage, with its non-local blocks after the listed residual blocks."""
        if stage not in self.non_local_after:
            return module(x)
        blocks = iter(self.non_local[f'stage{stage}'])
        for index, block in enumerate(module):
            x = block(x)
            if index in self.non_local_after[stage]:
                x = next(blocks)(x)
        return x

    def _check_stage_roles(self):
        order = self.specific_stages + self.shared_stages + self.duplicated_stages
        if order != tuple(range(NUM_STAGES)):
            raise ValueError(
                'DualStreamResNet: specific_stages + shared_stages + duplicated_stages must '
                f'list stages 0..4 once each in depth order, got specific='
                f'{self.specific_stages}, shared={self.shared_stages}, '
                f'duplicated={self.duplicated_stages}')

    def _check_modalities(self, x: torch.Tensor, modalities: torch.Tensor):
        if not isinstance(modalities, torch.Tensor) or modalities.shape != (x.shape[0], ):
            shape = tuple(modalities.shape) if isinstance(modalities, torch.Tensor) else None
            raise ValueError('DualStreamResNet: modalities must be a tensor with one code '
                             f'per sample ({x.shape[0]}), got {type(modalities).__name__} '
                             f'of shape {shape}')
        bad = (modalities < 0) | (modalities >= self.num_modalities)
        if bad.any():
            raise ValueError(f'DualStreamResNet: modality codes must be in '
                             f'[0, {self.num_modalities}), got {modalities[bad].unique().tolist()}')

    def forward_specific(self, x: torch.Tensor, modalities: torch.Tensor) -> torch.Tensor:
        """Run every sample through its own modality's copy of the specific stages."""
        out = None
        for code, stages in enumerate(self.specific):
            index = (modalities == code).nonzero(as_tuple=True)[0]
            if index.numel() == 0:
                continue
            feats = stages(x.index_select(0, index))
            if out is None:
                out = feats.new_empty((x.shape[0], ) + feats.shape[1:])
            out = out.index_copy(0, index, feats)
        return out

    def forward(self, x: torch.Tensor, modalities: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Specific → shared → duplicated stages.

        Args:
            x (Tensor): Images ``N x 3 x H x W``.
            modalities (Tensor): Long tensor ``N`` of modality codes.

        Returns:
            tuple[Tensor]: One feature map per output branch.
        """
        if self.specific is not None:
            self._check_modalities(x, modalities)
            x = self.forward_specific(x, modalities.to(x.device))
        for stage, module in zip(self.shared_stages, self.shared):
            x = self._run_stage(stage, module, x)
        if self.duplicated is None:
            return (x, )
        return tuple(branch(x) for branch in self.duplicated)

    def stage_copies(self) -> Dict[int, List[nn.Module]]:
        """Every copy of every stage, keyed by stage index (for weight loading)."""
        copies = {stage: [] for stage in range(NUM_STAGES)}
        for group, stages in ((self.specific, self.specific_stages),
                              ([self.shared], self.shared_stages),
                              (self.duplicated, self.duplicated_stages)):
            for sequence in (group or []):
                for stage, module in zip(stages, sequence):
                    copies[stage].append(module)
        return copies

    def init_weights(self):
        """Load ImageNet weights into every stage copy, or defer to mmengine.

        mmengine's ``Pretrained`` initialiser matches keys by name, which would
        silently load nothing into the renamed copies; here each stage copy
        receives the matching part of the torchvision state dict, strictly.
        """
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        checkpoint = self.init_cfg.get('checkpoint')
        if osp.isfile(checkpoint):
            loaded = read_checkpoint(checkpoint)
        else:  # torchvision://, a URL, or a missing file (named by mmengine)
            loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
        state_dict = state_dict_of(loaded, checkpoint)
        for stage, modules in self.stage_copies().items():
            sub_state = _stage_state_dict(state_dict, stage)
            prefix = f'layer{stage}.' if stage else ''
            for module in modules:
                load_state_dict_strictly(
                    module, sub_state, f'DualStreamResNet: checkpoint {checkpoint}',
                    f'stage{stage} of a torchvision ResNet-{self.depth}', key_prefix=prefix)
        self._is_init = True
