"""Weighted regularisation triplet (WRT) of the AGW baseline (Ye et al., TPAMI 2021)."""
import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from vireid_toolbox.registry import MODELS
from .utils import check_pair, pairwise_euclidean


def masked_softmax(values: torch.Tensor, mask: torch.Tensor, eps: float = 0.0) -> torch.Tensor:
    """Row-wise softmax of ``values`` over the entries where ``mask`` is True.

    ``eps > 0`` computes the AGW code's ``softmax_weights`` instead:
    ``exp(v - m) / (sum_mask exp(v - m) + eps)`` with ``m`` the row maximum of
    ``values * mask`` (masked-out entries count as 0 there), so the weights sum
    to less than 1 when every masked ``v - m`` is very negative. It is
    computed here as a softmax with one extra logit ``m + log(eps)``.
    """
    logits = values.masked_fill(~mask, float('-inf'))
    if eps <= 0:
        return logits.softmax(dim=1)
    extra = (values * mask).amax(dim=1, keepdim=True) + math.log(eps)
    return torch.cat([logits, extra], dim=1).softmax(dim=1)[:, :-1]


def weighted_pair_distances(feats: torch.Tensor, labels: torch.Tensor, owner: str,
                            alpha: float = 1.0,
                            eps: float = 0.0) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per anchor, the softmax-weighted distance to its positives and to its negatives.

    Positives are weighted by ``softmax(alpha * d)`` (far ones count more),
    negatives by ``softmax(-alpha * d)`` (near ones count more); an anchor's
    positives include the anchor itself, as in the AGW code.

    Returns:
        tuple[Tensor, Tensor]: ``N`` positive and ``N`` negative distances.
    """
    check_pair(feats, labels, owner)
    dist = pairwise_euclidean(feats, feats)
    same = labels[:, None] == labels[None]
    if same.all():
        raise ValueError(f'{owner}: the batch holds a single identity, so no anchor has a '
                         'negative')
    positive = (masked_softmax(alpha * dist, same, eps) * dist).sum(dim=1)
    negative = (masked_softmax(-alpha * dist, ~same, eps) * dist).sum(dim=1)
    return positive, negative


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
        eps (float): 0 gives the exact softmax weights of the paper's
            equation; ``1e-6`` the AGW code's normaliser (see
            :func:`masked_softmax`), which the AGW/CAJ configs use. Defaults to 0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, eps: float = 0.0, loss_weight: float = 1.0):
        super().__init__()
        self.eps = eps
        self.loss_weight = loss_weight

    def forward(self, feats: torch.Tensor, labels: torch.Tensor,
                modalities: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of a batch; ``modalities`` is accepted for the head's uniform call and unused."""
        positive, negative = weighted_pair_distances(feats, labels, type(self).__name__,
                                                     eps=self.eps)
        return self.loss_weight * F.softplus(positive - negative).mean()
