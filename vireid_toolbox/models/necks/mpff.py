"""ADMPFF-Net's multi-granularity pose-aware feature fusion (MPFF) neck."""
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from vireid_toolbox.registry import MODELS
from .part_pooling import PartPoolingNeck


class MultiGranularityFeatures(NamedTuple):
    """What :class:`MPFF` hands to the head.

    Attributes:
        granularity (tuple[Tensor]): Strip features ``N x S_b x D`` of every
            granularity branch (branch A: pIS 3 strips, branch B: 6 strips).
        enhanced (Tensor or None): The LIE feature ``N x D``, ``None`` without
            an enhancement branch.
    """
    granularity: Tuple[torch.Tensor, ...]
    enhanced: Optional[torch.Tensor]


@MODELS.register_module()
class MPFF(BaseModule):
    """Granularity branches (mGFD) with posture-aware strips (pIS) and LIE.

    Each granularity branch cuts its own feature map (one per duplicated
    backbone branch) into horizontal strips by its ratios and embeds every
    strip by max-pool → 1x1 conv → BN → ReLU (Fig. 2); the enhancement
    branch (:class:`LIE`) embeds one region of its map. Branch ``b`` reads
    backbone map ``b`` and the enhancement branch the last map; a backbone
    without duplicated stages (Table 4 row "2–4") gives one map to all.

    Args:
        in_channels (int): Channels of the backbone maps (2048 for ResNet-50).
        out_channels (int): Channels of every strip feature (Table 3: 512).
        branch_ratios (Sequence[Sequence[float]]): Strip ratios per
            granularity branch. Defaults to ``((1, 2, 3), (1,) * 6)``: pIS
            head:torso:legs and six equal strips. Table 5 changes the first
            (equal 3/6/9: ``(1,) * k``).
        pooling (str): Strip pooling of the granularity branches. Defaults to
            ``'max'`` (Fig. 2).
        enhance (dict, optional): Config of the enhancement branch, e.g.
            ``dict(type='LIE', region=(5/6, 1.0))``; ``in_channels`` and
            ``out_channels`` are filled in. ``None`` drops the branch (Fig. 5
            "Non").
        init_cfg (dict or list[dict], optional): Initialisation config.

    Returns:
        ``forward(feats)`` returns a :class:`MultiGranularityFeatures`.
    """

    def __init__(self,
                 in_channels: int = 2048,
                 out_channels: int = 512,
                 branch_ratios: Sequence[Sequence[float]] = ((1, 2, 3), (1, ) * 6),
                 pooling: str = 'max',
                 enhance: Optional[dict] = dict(type='LIE', region=(5 / 6, 1.0)),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if len(branch_ratios) == 0:
            raise ValueError('MPFF: branch_ratios must name at least one granularity branch')
        self.branches = nn.ModuleList(
            PartPoolingNeck(in_channels, out_channels, ratios=ratios, pooling=pooling)
            for ratios in branch_ratios)
        self.enhance = None
        if enhance is not None:
            enhance = dict(enhance)
            enhance.setdefault('in_channels', in_channels)
            enhance.setdefault('out_channels', out_channels)
            self.enhance = MODELS.build(enhance)
        self.out_channels = out_channels

    @property
    def num_maps(self) -> int:
        """Backbone maps this neck reads when the backbone duplicates stages."""
        return len(self.branches) + (self.enhance is not None)

    @property
    def strips_per_branch(self) -> Tuple[int, ...]:
        return tuple(branch.num_strips for branch in self.branches)

    def forward(self, feats: Union[torch.Tensor,
                                   Sequence[torch.Tensor]]) -> MultiGranularityFeatures:
        """Embed the strips of every branch and the enhancement region."""
        maps = (feats, ) if isinstance(feats, torch.Tensor) else tuple(feats)
        if len(maps) == 1:
            maps = maps * self.num_maps
        elif len(maps) != self.num_maps:
            raise ValueError(
                f'MPFF has {len(self.branches)} granularity branch(es) and '
                f'{"one" if self.enhance is not None else "no"} enhancement branch, so it '
                f'reads {self.num_maps} backbone maps (or one shared map), got {len(maps)}: '
                'set the backbone num_branches accordingly')
        granularity = tuple(branch(x) for branch, x in zip(self.branches, maps))
        enhanced = self.enhance(maps[-1]) if self.enhance is not None else None
        return MultiGranularityFeatures(granularity, enhanced)
