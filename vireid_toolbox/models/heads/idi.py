"""Inter-detail interaction (IDI) of PDFENet, eq. 6-8."""
import math

import torch
import torch.nn as nn

from vireid_toolbox.registry import MODELS


@MODELS.register_module()
class IDI(nn.Module):
    """Self-attention over the detail features, then an adaptive weight per detail.

    ``f_hat = softmax(Q(f_d) K(f_d)^T / sqrt(C)) V(f_d)`` (eq. 6) lets every
    detail feature borrow from the details it is related to;
    ``W_d = Linear(C/r -> 1)(ReLU(Linear(C -> C/r)(f_hat)))`` (eq. 7) scores
    each refined detail and ``f_tilde = W_d * f_hat`` (eq. 8) weights it.

    Args:
        in_channels (int): Channels ``C`` of every detail feature.
        reduction (int): ``r``, the hidden width of the weight MLP is
            ``C / r``. Defaults to 4 (the paper's ``W_2 in R^{C x C/4}``).

    Returns (of ``forward``):
        Tensor: the weighted details ``N x D x C`` for input ``N x D x C``.
    """

    def __init__(self, in_channels: int, reduction: int = 4):
        super().__init__()
        if in_channels % reduction:
            raise ValueError(f'IDI: in_channels={in_channels} is not divisible by '
                             f'reduction={reduction}')
        self.query = nn.Linear(in_channels, in_channels)
        self.key = nn.Linear(in_channels, in_channels)
        self.value = nn.Linear(in_channels, in_channels)
        self.weight_mlp = nn.Sequential(
            nn.Linear(in_channels, in_channels // reduction), nn.ReLU(inplace=True),
            nn.Linear(in_channels // reduction, 1))

    def forward(self, details: torch.Tensor) -> torch.Tensor:
        """Refine and weight ``details`` (``N x D x C``)."""
        if details.dim() != 3:
            raise ValueError(f'IDI expects N x D x C detail features, got shape {tuple(details.shape)}')
        scores = self.query(details) @ self.key(details).transpose(1, 2)
        refined = (scores / math.sqrt(details.shape[-1])).softmax(dim=-1) @ self.value(details)
        return self.weight_mlp(refined) * refined
