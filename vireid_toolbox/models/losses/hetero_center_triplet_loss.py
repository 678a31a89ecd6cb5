"""Hetero-center triplet loss (Liu et al., TMM 2021; ADMPFF-Net eq. 5–7)."""
import torch
import torch.nn as nn

from vireid_toolbox.registry import MODELS
from .utils import check_pair, pairwise_euclidean


@MODELS.register_module()
class HeteroCenterTripletLoss(nn.Module):
    """Batch-hard triplet loss between identity centres of each modality.

    The batch centre of every (identity, modality) pair is the mean of its
    features; pairs are found by grouping ``labels`` and ``modalities``, never
    by the position of samples in the batch. For every centre the positive is
    the farthest centre of the same identity in another modality, the negative
    the nearest centre of any other identity in any modality, and the loss is
    ``mean [margin + d(c, c+) - d(c, c-)]_+`` over all centres. The mean
    (not the sum of eq. 7) follows SPEC and the HcTri reference code.

    Args:
        margin (float): Margin ρ. Defaults to 0.3.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.

    Returns:
        ``forward(feats, labels, modalities)`` returns a scalar.
    """

    def __init__(self, margin: float = 0.3, loss_weight: float = 1.0):
        super().__init__()
        self.margin = margin
        self.loss_weight = loss_weight

    @staticmethod
    def centres(feats: torch.Tensor, labels: torch.Tensor, modalities: torch.Tensor):
        """Mean feature of every (label, modality) pair present in the batch.

        Returns:
            tuple[Tensor, Tensor]: Centres ``G x D`` and their ``(label,
            modality)`` pairs ``G x 2``.
        """
        pairs, group = torch.unique(
            torch.stack([labels, modalities], dim=1), dim=0, return_inverse=True)
        sums = feats.new_zeros(len(pairs), feats.shape[1]).index_add(0, group, feats)
        counts = torch.bincount(group, minlength=len(pairs)).to(feats.dtype)
        return sums / counts[:, None], pairs

    def forward(self, feats: torch.Tensor, labels: torch.Tensor,
                modalities: torch.Tensor) -> torch.Tensor:
        """Hetero-center triplet loss of ``N x D`` features."""
        check_pair(feats, labels, type(self).__name__)
        if modalities.shape != labels.shape:
            raise ValueError(f'HeteroCenterTripletLoss: expected one modality per sample '
                             f'({labels.numel()}), got shape {tuple(modalities.shape)}')
        centres, pairs = self.centres(feats, labels, modalities.to(labels.device))
        dist = pairwise_euclidean(centres, centres)
        same_id = pairs[:, 0, None] == pairs[None, :, 0]
        positive = same_id & (pairs[:, 1, None] != pairs[None, :, 1])
        lonely = ~positive.any(dim=1)
        if lonely.any():
            raise ValueError('HeteroCenterTripletLoss needs every identity of the batch in at '
                             'least two modalities; (label, modality) pairs without a '
                             f'counterpart: {pairs[lonely].tolist()} (check the sampler)')
        if same_id.all():
            raise ValueError('HeteroCenterTripletLoss needs at least two identities per batch')
        hardest_positive = torch.where(positive, dist, dist.new_tensor(-float('inf'))).amax(1)
        hardest_negative = torch.where(same_id, dist.new_tensor(float('inf')), dist).amin(1)
        hinge = (self.margin + hardest_positive - hardest_negative).clamp(min=0)
        return self.loss_weight * hinge.mean()
