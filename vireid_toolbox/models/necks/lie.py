"""ADMPFF-Net's local information enhancement (LIE) branch and its Fig. 5/6 variants."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from vireid_toolbox.registry import MODELS
from .part_pooling import (check_region, conv_bn_relu, pool_region, region_rows,
                           single_map)

LIE_POOLINGS = ('max', 'avg', 'attention')


@MODELS.register_module()
class LIE(BaseModule):
    """Local information enhancement: one embedded feature of a chosen region.

    The region is given as fractions of the map height, so the paper's 3x9
    leg region of an 18x9 map, ``(5/6, 1)``, is also the bottom 2 rows of a
    12x6 map. The region is pooled and reduced by 1x1 conv → BN → ReLU, like
    every strip of the MPFF branches (Fig. 2). The ablations of Fig. 5/6 are
    configurations of this module:

    - Fig. 6a body parts: ``region=(0, 1/6)`` head, ``(1/6, 1/2)`` torso,
      ``(1/2, 1)`` lower body (the pIS 1:2:3 parts);
    - Fig. 6b leg sizes: ``(5/6, 1)`` 3x9 (best), ``(2/3, 1)`` 6x9, ...;
    - Fig. 5 "Global part": ``region=(0, 1)`` with max pooling (an
      independent global branch);
    - Fig. 5 "Attention": ``region=(0, 1), pooling='attention'``: a learned
      1x1 conv scores every position, the softmax of the scores over the
      region weights the average (the paper does not specify its attention
      branch; this is the simplest learned spatial attention);
    - Fig. 5 "Non": no enhancement branch (``enhance=None`` in :class:`MPFF`).

    Args:
        in_channels (int): Channels of the feature map.
        out_channels (int): Channels of the enhanced feature. Defaults to 512.
        region (Sequence[float]): ``(top, bottom)`` height fractions.
            Defaults to ``(5/6, 1.0)``.
        pooling (str): ``'max'`` (paper), ``'avg'`` or ``'attention'``.
        init_cfg (dict or list[dict], optional): Defaults to Kaiming (fan-in)
            for the convs.

    Returns:
        ``forward(x)`` returns the enhanced feature ``N x out_channels``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 512,
                 region: Sequence[float] = (5 / 6, 1.0),
                 pooling: str = 'max',
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Kaiming', layer='Conv2d', mode='fan_in', nonlinearity='relu')):
        super().__init__(init_cfg=init_cfg)
        if pooling not in LIE_POOLINGS:
            raise ValueError(f'LIE: unknown pooling "{pooling}"; expected one of {LIE_POOLINGS}')
        self.region = check_region(region)
        self.pooling = pooling
        self.out_channels = out_channels
        self.attention = (nn.Conv2d(in_channels, 1, kernel_size=1)
                          if pooling == 'attention' else None)
        self.reduction = conv_bn_relu(in_channels, out_channels)

    def attention_pool(self, x: torch.Tensor) -> torch.Tensor:
        """Softmax-weighted average of the positions of ``x`` (``N x C x h x w`` → ``N x C``)."""
        weights = self.attention(x).flatten(2).softmax(dim=-1)  # N x 1 x hw
        return (x.flatten(2) * weights).sum(dim=-1)

    def forward(self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
        """The enhanced feature ``N x out_channels`` of the configured region."""
        x = single_map(inputs, type(self).__name__)
        start, end = region_rows(x.shape[2], self.region)
        part = x[:, :, start:end]
        pooled = self.attention_pool(part) if self.pooling == 'attention' else pool_region(
            part, self.pooling)
        return self.reduction(pooled[:, :, None, None]).flatten(1)
