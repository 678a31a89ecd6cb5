"""Weighted regularisation triplet (WRT) of the AGW baseline (Ye et al., TPAMI 2021)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from vireid_toolbox.registry import MODELS
from .utils import check_pair, pairwise_euclidean


def masked_softmax(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Row-wise softmax of ``values`` over the entries where ``mask`` is True."""
    return values.masked_fill(~mask, float('-inf')).softmax(dim=1)


@MODELS.register_module()
class WeightedRegularizationTriplet(nn.Module):
    """Soft-margin triplet with softmax-weighted positives and negatives.

    For every anchor ``i``:
    ``L_i = log(1 + exp(sum_j w_ij^p d_ij - sum_k w_ik^n d_ik))`` with
    ``w_ij^p = softmax_j(d_ij)`` over the positives and
    ``w_ik^n = softmax_k(-d_ik)`` over the negatives (Euclidean distances);
    the loss is the mean over anchors. It has no margin to tune. As in the
    AGW reference code, an anchor's positive set includes the anchor itself.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, feats: torch.Tensor, labels: torch.Tensor,
                modalities: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of a batch; ``modalities`` is accepted for the head's uniform call and unused."""
        check_pair(feats, labels, type(self).__name__)
        dist = pairwise_euclidean(feats, feats)
        same = labels[:, None] == labels[None]
        if same.all():
            raise ValueError('WeightedRegularizationTriplet: the batch holds a single identity, '
                             'so no anchor has a negative')
        positive = (masked_softmax(dist, same) * dist).sum(dim=1)
        negative = (masked_softmax(-dist, ~same) * dist).sum(dim=1)
        return self.loss_weight * F.softplus(positive - negative).mean()
