"""CAJ's enhanced squared-difference triplet (Ye et al., ICCV 2021)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from vireid_toolbox.registry import MODELS
from .weighted_regularization_triplet import weighted_pair_distances

MAX_EXPONENT = 88.0
"""CAJ clamps the squared difference at 88 (``exp(88)`` is near float32's largest value)."""


@MODELS.register_module()
class SquaredDifferenceTripletLoss(nn.Module):
    """The weighted triplet of CAJ's code (``TripletLoss_ADP`` with ``square=1``).

    With ``p_i`` and ``n_i`` the softmax-weighted positive and negative
    distances of anchor ``i`` (weights ``softmax(±alpha * d)``, as in
    :class:`WeightedRegularizationTriplet`) and
    ``s_i = min(gamma * (p_i - n_i)^2, 88)``:
    ``L_i = log(1 + exp(s_i))`` when ``p_i > n_i`` (a violated triplet is
    pushed harder the larger the gap) and ``log(1 + exp(-s_i))`` otherwise;
    the loss is the mean over anchors.

    Args:
        alpha (float): Sharpness of the distance weights. Defaults to 1.
        gamma (float): Scale of the squared difference. Defaults to 1.
        eps (float): The weight normaliser's ``eps`` (CAJ's code: 1e-6; see
            :func:`~.weighted_regularization_triplet.masked_softmax`).
            Defaults to 1e-6.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, alpha: float = 1.0, gamma: float = 1.0, eps: float = 1e-6,
                 loss_weight: float = 1.0):
        super().__init__()
        self.alpha = alpha
        self.gamma = gamma
        self.eps = eps
        self.loss_weight = loss_weight

    def forward(self, feats: torch.Tensor, labels: torch.Tensor,
                modalities: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of a batch; ``modalities`` is accepted for the head's uniform call and unused."""
        positive, negative = weighted_pair_distances(
            feats, labels, type(self).__name__, alpha=self.alpha, eps=self.eps)
        squared = (self.gamma * (positive - negative).pow(2)).clamp(max=MAX_EXPONENT)
        sign = torch.where(positive > negative, 1.0, -1.0)
        return self.loss_weight * F.softplus(sign * squared).mean()
