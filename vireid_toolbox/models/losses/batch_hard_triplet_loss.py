"""Batch-hard triplet loss over samples (Hermans et al. 2017), ADMPFF-Net Table 7's L_tri."""
from typing import Optional

import torch
import torch.nn as nn

from vireid_toolbox.registry import MODELS
from .utils import check_pair, pairwise_euclidean


@MODELS.register_module()
class BatchHardTripletLoss(nn.Module):
    """Triplet loss with the hardest positive and negative of every sample.

    For every sample the positive is the farthest sample with its label and
    the negative the nearest sample with another label, whatever their
    modality; the loss is ``mean [margin + d(a, p) - d(a, n)]_+``.

    Args:
        margin (float): Margin. Defaults to 0.3.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.

    Returns:
        ``forward(feats, labels, modalities=None)`` returns a scalar
        (``modalities`` is accepted for a common interface and not used).
    """

    def __init__(self, margin: float = 0.3, loss_weight: float = 1.0):
        super().__init__()
        self.margin = margin
        self.loss_weight = loss_weight

    def forward(self,
                feats: torch.Tensor,
                labels: torch.Tensor,
                modalities: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Batch-hard triplet loss of ``N x D`` features."""
        check_pair(feats, labels, type(self).__name__)
        same_id = labels[:, None] == labels[None]
        if same_id.all():
            raise ValueError('BatchHardTripletLoss needs at least two identities per batch')
        dist = pairwise_euclidean(feats, feats)
        hardest_positive = torch.where(same_id, dist, dist.new_tensor(-float('inf'))).amax(1)
        hardest_negative = torch.where(same_id, dist.new_tensor(float('inf')), dist).amin(1)
        hinge = (self.margin + hardest_positive - hardest_negative).clamp(min=0)
        return self.loss_weight * hinge.mean()
