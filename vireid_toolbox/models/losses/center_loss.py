"""Center loss of PDFENet (eq. 16-17, as SPEC resolves it)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from vireid_toolbox.registry import MODELS
from .utils import check_pair, pairwise_euclidean


def identity_centers(feats: torch.Tensor, labels: torch.Tensor):
    """Batch mean feature of every identity present (eq. 16).

    Returns:
        tuple: ``(ids, centers, index)``: the sorted identities ``P``, their
        centres ``P x D`` and, per sample, the row of its centre.
    """
    ids, index = torch.unique(labels, sorted=True, return_inverse=True)
    sums = feats.new_zeros(len(ids), feats.shape[1]).index_add_(0, index, feats)
    counts = torch.bincount(index, minlength=len(ids)).to(feats.dtype)
    return ids, sums / counts[:, None], index


@MODELS.register_module()
class CenterLoss(nn.Module):
    """Pull features to their identity centre, push centres apart.

    ``L_C = mean_i ||f_i - C_{p_i}||_2 + mean_{p != q} [m - ||C_p - C_q||_2]_+``
    where ``C_p`` is the batch mean of identity ``p`` over both modalities.

    Follows SPEC over the printed eq. 17, which would *pull* different
    identities' centres together: the second term is its evident intent, a
    hinge that keeps centres at least ``margin`` apart.

    Args:
        margin (float): Minimum distance ``m`` between two identity centres.
            Defaults to 0.5.
        normalize (bool): L2-normalise features first, so that ``margin`` is
            on the scale of the (normalised) test features. Not in the paper,
            which does not say; defaults to True.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, margin: float = 0.5, normalize: bool = True, loss_weight: float = 1.0):
        super().__init__()
        self.margin = margin
        self.normalize = normalize
        self.loss_weight = loss_weight

    def forward(self, feats: torch.Tensor, labels: torch.Tensor,
                modalities: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of a batch; ``modalities`` is accepted for the head's uniform call and unused."""
        check_pair(feats, labels, type(self).__name__)
        if self.normalize:
            feats = F.normalize(feats, dim=1)
        _, centers, index = identity_centers(feats, labels)
        pull = (feats - centers[index]).norm(dim=1).mean()
        num_ids = len(centers)
        if num_ids < 2:
            return self.loss_weight * pull
        off_diagonal = ~torch.eye(num_ids, dtype=torch.bool, device=feats.device)
        gaps = pairwise_euclidean(centers, centers)[off_diagonal]
        push = F.relu(self.margin - gaps).mean()
        return self.loss_weight * (pull + push)
