"""Global pooling of a feature map into one vector per image (AGW's GeM)."""
from typing import Sequence, Union

import torch
import torch.nn as nn

from vireid_toolbox.registry import MODELS
from .part_pooling import POOLINGS, pool_region, single_map


@MODELS.register_module()
class GlobalPoolingNeck(nn.Module):
    """Pool the whole feature map by max, average or generalised mean (GeM).

    AGW pools the last map of its backbone by GeM with a fixed ``p = 3``.

    Args:
        pooling (str): ``'max'``, ``'avg'`` or ``'gem'``. Defaults to ``'gem'``.
        gem_p (float): GeM exponent. Defaults to 3.

    Returns:
        ``forward(x)`` returns ``N x C`` features.
    """

    def __init__(self, pooling: str = 'gem', gem_p: float = 3.0):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f'GlobalPoolingNeck: unknown pooling "{pooling}"; expected one '
                             f'of {POOLINGS}')
        self.pooling = pooling
        self.gem_p = gem_p

    def forward(self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
        """``N x C`` features of one ``N x C x H x W`` map."""
        return pool_region(single_map(inputs, type(self).__name__), self.pooling, self.gem_p)
