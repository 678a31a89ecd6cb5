"""Horizontal strips of a feature map: boundaries from ratios, pooling, per-strip embedding."""
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from vireid_toolbox.registry import MODELS

POOLINGS = ('max', 'avg', 'gem')


def check_ratios(ratios: Sequence[float]) -> Tuple[float, ...]:
    """Return ``ratios`` as a tuple, or raise if it is not a list of positive numbers."""
    if len(ratios) == 0 or any(r <= 0 for r in ratios):
        raise ValueError(f'strip ratios must be a non-empty list of positive numbers, '
                         f'got {list(ratios)}')
    return tuple(ratios)


def strip_boundaries(height: int, ratios: Sequence[float]) -> List[Tuple[int, int]]:
    """Row ranges ``[(start, end), ...]`` cutting ``height`` rows by ``ratios``.

    Boundaries are the cumulative ratios scaled to the height and rounded half
    up, so 1:2:3 gives 3/6/9 rows of 18, 2/4/6 of 12 and 4/8/12 of 24.

    Args:
        height (int): Rows of the feature map.
        ratios (Sequence[float]): Positive relative strip heights, top first.

    Returns:
        list[tuple[int, int]]: ``(start, end)`` rows of each strip.
    """
    total = float(sum(check_ratios(ratios)))
    cumulative, edges = 0.0, [0]
    for ratio in ratios:
        cumulative += ratio
        edges.append(int(math.floor(height * cumulative / total + 0.5)))
    bounds = list(zip(edges[:-1], edges[1:]))
    if any(end <= start for start, end in bounds):
        raise ValueError(f'a feature map of height {height} cannot be cut into '
                         f'{len(ratios)} non-empty strips with ratios {list(ratios)}')
    return bounds


def check_region(region: Sequence[float]) -> Tuple[float, float]:
    """Return ``region`` as ``(top, bottom)`` height fractions, or raise if invalid."""
    if len(region) != 2 or not 0.0 <= region[0] < region[1] <= 1.0:
        raise ValueError(f'a region is (top, bottom) fractions with 0 <= top < bottom <= 1, '
                         f'got {tuple(region)}')
    return float(region[0]), float(region[1])


def region_rows(height: int, region: Sequence[float]) -> Tuple[int, int]:
    """Rows ``(start, end)`` of a region given as height fractions ``(top, bottom)``.

    ``(5 / 6, 1.0)`` is the bottom 3 rows of 18 (ADMPFF-Net's 3x9 leg region)
    and the bottom 2 rows of 12.
    """
    top, bottom = check_region(region)
    start = int(math.floor(height * top + 0.5))
    end = int(math.floor(height * bottom + 0.5))
    if end <= start:
        raise ValueError(f'region {tuple(region)} of a feature map of height {height} '
                         'holds no row')
    return start, end


def gem_pool(x: torch.Tensor, p: float, eps: float = 1e-12) -> torch.Tensor:
    """Generalised-mean pooling over the spatial dimensions: ``(mean(x^p) + eps)^(1/p)``.

    Exactly the HcTri reference code's form (``eps`` added after the mean, no
    clamp of ``x``): an all-zero region pools to ``eps^(1/p)`` with a zero
    gradient. ``x`` is a post-ReLU map, so ``x^p`` is defined for every ``p``.

    Args:
        x (Tensor): ``N x C x h x w``, non-negative.
        p (float): The exponent (1 = average, large = close to max).
        eps (float): Added to the mean before the root. Defaults to 1e-12.

    Returns:
        Tensor: ``N x C``.
    """
    return (x.pow(p).mean(dim=(-2, -1)) + eps).pow(1.0 / p)


def pool_region(x: torch.Tensor, pooling: str, gem_p: float = 3.0) -> torch.Tensor:
    """Pool an ``N x C x h x w`` region to ``N x C`` by max, average or GeM."""
    if pooling == 'max':
        return x.amax(dim=(-2, -1))
    if pooling == 'avg':
        return x.mean(dim=(-2, -1))
    if pooling == 'gem':
        return gem_pool(x, gem_p)
    raise ValueError(f'unknown pooling "{pooling}"; expected one of {POOLINGS}')


def conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    """The 1x1 conv → BN → ReLU reduction applied to every pooled strip."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=1),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


def single_map(inputs: Union[torch.Tensor, Sequence[torch.Tensor]], owner: str) -> torch.Tensor:
    """The one feature map of a backbone output (a tensor or a 1-tuple)."""
    if isinstance(inputs, torch.Tensor):
        return inputs
    if len(inputs) != 1:
        raise ValueError(f'{owner} pools one feature map, but the backbone returned '
                         f'{len(inputs)} branches (use MPFF for duplicated stages)')
    return inputs[0]


@MODELS.register_module()
class PartPoolingNeck(BaseModule):
    """Cut a feature map into horizontal strips; pool and embed each strip.

    Every strip is pooled (max, average or GeM) and reduced by its own
    1x1 conv → BN → ReLU block, as in PCB-style part models: the HcTri
    baseline (6 equal strips, GeM, 256 channels) and each granularity branch
    of ADMPFF-Net's MPFF (Fig. 2: max-pool, 512 channels).

    Args:
        in_channels (int): Channels of the feature map.
        out_channels (int): Channels of each strip feature.
        ratios (Sequence[float]): Relative strip heights, top first:
            ``(1, 2, 3)`` for pIS, ``(1,) * 6`` for six equal strips.
        pooling (str): ``'max'``, ``'avg'`` or ``'gem'``. Defaults to ``'max'``.
        gem_p (float): GeM exponent (3 on SYSU-MM01, 10 on RegDB in HcTri).
        init_cfg (dict or list[dict], optional): Defaults to Kaiming (fan-in)
            for the 1x1 convs, as HcTri initialises them.

    Returns:
        ``forward(x)`` returns strip features ``N x S x out_channels``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 ratios: Sequence[float] = (1, ) * 6,
                 pooling: str = 'max',
                 gem_p: float = 3.0,
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Kaiming', layer='Conv2d', mode='fan_in', nonlinearity='relu')):
        super().__init__(init_cfg=init_cfg)
        if pooling not in POOLINGS:
            raise ValueError(f'PartPoolingNeck: unknown pooling "{pooling}"; expected one '
                             f'of {POOLINGS}')
        self.ratios = check_ratios(ratios)
        self.pooling = pooling
        self.gem_p = gem_p
        self.out_channels = out_channels
        self.reductions = nn.ModuleList(
            conv_bn_relu(in_channels, out_channels) for _ in self.ratios)

    @property
    def num_strips(self) -> int:
        return len(self.ratios)

    def forward(self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
        """Strip features ``N x S x out_channels`` of one feature map."""
        x = single_map(inputs, type(self).__name__)
        feats = []
        for (start, end), reduction in zip(strip_boundaries(x.shape[2], self.ratios),
                                           self.reductions):
            pooled = pool_region(x[:, :, start:end], self.pooling, self.gem_p)
            feats.append(reduction(pooled[:, :, None, None]).flatten(1))
        return torch.stack(feats, dim=1)
