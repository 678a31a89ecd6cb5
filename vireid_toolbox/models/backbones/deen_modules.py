"""DEEN's (Zhang & Wang, CVPR 2023) feature modules: the MFA fusion block and the DEE expansion.

Both follow the authors' public code (``ZYK100/LLCM``, ``DEEN/model.py``), which
the paper's figures only sketch; where the code's tensor reshapes differ from a
textbook non-local block, the code is followed (it is what the reported numbers
were trained with) and the docstring says so.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ChannelNonLocal(nn.Module):
    """MFA's channel non-local part (the code's ``CNL``).

    ``theta(x_high)`` against ``phi(x_low)`` gives a ``C_low x C_low`` channel
    affinity, divided by ``C_low`` (the code's scaling, no softmax); it re-weights
    ``g(x_low)``, and ``W`` (conv + BN, BN zero-initialised so the block starts
    as the identity) projects the result back onto ``x_high`` as a residual.

    Args:
        high_channels (int): Channels of the deeper map ``x_high``.
        low_channels (int): Channels of the shallower map ``x_low``.
        stride (int): 2 when ``x_low`` has twice the resolution of ``x_high``
            (``phi`` and ``W`` stride down to it), else 1.
    """

    def __init__(self, high_channels: int, low_channels: int, stride: int = 1):
        super().__init__()
        self.low_channels = low_channels
        self.g = nn.Conv2d(low_channels, low_channels, 1)
        self.theta = nn.Conv2d(high_channels, low_channels, 1)
        self.phi = nn.Conv2d(low_channels, low_channels, 1, stride=stride)
        self.W = nn.Sequential(
            nn.Conv2d(low_channels, high_channels, 1, stride=stride), nn.BatchNorm2d(high_channels))
        nn.init.zeros_(self.W[1].weight)
        nn.init.zeros_(self.W[1].bias)

    def forward(self, x_high: torch.Tensor, x_low: torch.Tensor) -> torch.Tensor:
        n, c = x_high.shape[0], self.low_channels
        g = self.g(x_low).reshape(n, c, -1)
        theta = self.theta(x_high).reshape(n, c, -1)
        phi = self.phi(x_low).reshape(n, c, -1).transpose(1, 2)
        energy = theta @ phi
        y = (energy / energy.shape[-1]) @ g
        return self.W(y.reshape(n, c, *x_low.shape[2:])) + x_high


class PixelNonLocal(nn.Module):
    """MFA's pixel non-local part (the code's ``PNL``).

    ``g``, ``theta`` and ``phi`` reduce to ``C_low / reduction`` channels; as
    in the reference code, each result is then *reshaped* to ``C_low`` rows
    (``N x C_low x (C_low / reduction) H W / C_low``), so a "pixel" of the
    affinity is a chunk of consecutive values of the flattened map rather
    than one spatial position. The affinity is divided by its number of
    columns (no softmax) and re-weights ``g``; ``W`` (BN zero-initialised) adds
    the result to ``x_high``.

    Args:
        high_channels (int): Channels of ``x_high``.
        low_channels (int): Channels of ``x_low`` (same resolution as ``x_high``
            after the channel part, whose output this block receives).
        reduction (int): Channel reduction of the embeddings. Defaults to 2.
    """

    def __init__(self, high_channels: int, low_channels: int, reduction: int = 2):
        super().__init__()
        self.low_channels = low_channels
        inner = low_channels // reduction
        self.g = nn.Conv2d(low_channels, inner, 1)
        self.theta = nn.Conv2d(high_channels, inner, 1)
        self.phi = nn.Conv2d(low_channels, inner, 1)
        self.W = nn.Sequential(nn.Conv2d(inner, high_channels, 1), nn.BatchNorm2d(high_channels))
        nn.init.zeros_(self.W[1].weight)
        nn.init.zeros_(self.W[1].bias)

    def forward(self, x_high: torch.Tensor, x_low: torch.Tensor) -> torch.Tensor:
        n, c = x_high.shape[0], self.low_channels
        g = self.g(x_low).reshape(n, c, -1).transpose(1, 2)
        theta = self.theta(x_high).reshape(n, c, -1).transpose(1, 2)
        phi = self.phi(x_low).reshape(n, c, -1)
        energy = theta @ phi
        y = ((energy / energy.shape[-1]) @ g).transpose(1, 2)
        y = y.reshape(n, self.g.out_channels, *x_high.shape[2:])
        return self.W(y) + x_high


class MFABlock(nn.Module):
    """Multi-level feature aggregation: channel then pixel non-local fusion of two stages.

    Args:
        high_channels (int): Channels of the stage's output ``x_high``.
        low_channels (int): Channels of the stage's input ``x_low``.
        stride (int): The stage's spatial stride (1 or 2).

    Returns:
        ``forward(x_high, x_low)`` returns a map shaped like ``x_high``.
    """

    def __init__(self, high_channels: int, low_channels: int, stride: int = 1):
        super().__init__()
        self.channel_nl = ChannelNonLocal(high_channels, low_channels, stride)
        self.pixel_nl = PixelNonLocal(high_channels, low_channels)

    def forward(self, x_high: torch.Tensor, x_low: torch.Tensor) -> torch.Tensor:
        return self.pixel_nl(self.channel_nl(x_high, x_low), x_low)


class DEEBranch(nn.Module):
    """One embedding expansion: three dilated 3x3 convs averaged, ReLU, a 1x1 conv back."""

    def __init__(self, channels: int, dilations=(1, 2, 3)):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(channels, channels // 4, 3, padding=d, dilation=d, bias=False)
            for d in dilations)
        self.fuse = nn.Conv2d(channels // 4, channels, 1)
        for conv in (*self.convs, self.fuse):
            nn.init.kaiming_normal_(conv.weight, a=0, mode='fan_in')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fuse(F.relu(sum(conv(x) for conv in self.convs) / len(self.convs)))


class DEEModule(nn.Module):
    """Diverse embedding expansion: the map and its ``num_expansions`` expansions, stacked.

    Returns ``cat(x, e_1(x), ..., e_k(x))`` along the batch, then dropout
    (p = 0.01 in the code), so an ``N``-sample batch leaves as ``(1 + k) N``
    samples; the layers after it see all embeddings in one batch (their
    BatchNorm statistics are shared, as in the code).

    Args:
        channels (int): Channels of the expanded map.
        num_expansions (int): New embeddings. Defaults to 2 (the code's).
        dropout (float): Dropout probability. Defaults to 0.01.
    """

    def __init__(self, channels: int, num_expansions: int = 2, dropout: float = 0.01):
        super().__init__()
        self.branches = nn.ModuleList(DEEBranch(channels) for _ in range(num_expansions))
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(torch.cat([x] + [branch(x) for branch in self.branches], dim=0))
