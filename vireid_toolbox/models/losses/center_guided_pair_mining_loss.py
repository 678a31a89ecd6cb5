"""DEEN's centre-guided pair mining loss (Zhang & Wang, CVPR 2023, eq. 6-8)."""
from typing import Tuple

import torch
import torch.nn as nn

from vireid_toolbox.registry import MODELS
from vireid_toolbox.structures.reid_data_sample import INFRARED, VISIBLE
from .utils import check_pair, pairwise_euclidean


def _modality_centres(feats: torch.Tensor, labels: torch.Tensor, modalities: torch.Tensor,
                      ids: torch.Tensor, owner: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per-identity mean features ``P x D`` of the visible and of the infrared samples."""
    centres = []
    for modality in (VISIBLE, INFRARED):
        member = ((labels[None] == ids[:, None]) & (modalities[None] == modality)).to(feats.dtype)
        counts = member.sum(1, keepdim=True)
        if (counts == 0).any():
            missing = ids[counts[:, 0] == 0].tolist()
            raise ValueError(f'{owner}: identities {missing} have no sample of modality '
                             f'{modality} in the batch; use CrossModalityIdentitySampler')
        centres.append(member @ feats / counts)
    return centres[0], centres[1]


@MODELS.register_module()
class CenterGuidedPairMiningLoss(nn.Module):
    """Pull each modality's expanded embedding centre towards the other modality's centre.

    With per-identity centres ``v, t`` of the original visible / infrared
    embeddings and ``v', t'`` of one expansion, as the authors' code
    (``ZYK100/LLCM``, ``DEEN/loss.py``, ``CPMLoss``) computes them for
    identity ``i`` (``h(a, p) = mean_i [margin + p_i - a_i]_+``):

    - ``L_v = h(d(v_i, v'_i), d(t_i, v'_i)) + ½ [h(min_j d(v'_i, v'_j), d(t_i, v'_i))
      + h(min_j d(v_i, v_j), d(t_i, v'_i))]``, ``j ≠ i``; the distance ``d(v_i, v'_i)``
      (the expansion to its own modality) is detached;
    - ``L_t`` the same with the modalities swapped;
    - the loss is ``loss_weight * (L_v + L_t) / 2``.

    So the expansion of one modality must lie nearer the other modality's
    centre than its own origin, and nearer than any other identity's centre.
    Centres are formed by label and modality (the code cuts the batch into
    equal chunks in sampler order, which is the same under the P x K sampler).

    Args:
        margin (float): Margin. Defaults to 0.2 (the code's).
        loss_weight (float): Multiplier (DEEN's λ1 = 0.8 is applied by the
            head). Defaults to 1.0.

    Returns:
        ``forward(feats, expanded, labels, modalities)`` returns a scalar.
    """

    def __init__(self, margin: float = 0.2, loss_weight: float = 1.0):
        super().__init__()
        self.margin = margin
        self.loss_weight = loss_weight

    def _hinge(self, negative: torch.Tensor, positive: torch.Tensor) -> torch.Tensor:
        return (self.margin + positive - negative).clamp(min=0).mean()

    def _one_side(self, own: torch.Tensor, other: torch.Tensor,
                  expanded: torch.Tensor) -> torch.Tensor:
        """``L`` for the expansion ``expanded`` of the modality whose centres are ``own``."""
        positive = pairwise_euclidean(other, expanded).diagonal()
        to_origin = pairwise_euclidean(own, expanded).diagonal().detach()
        off_diagonal = ~torch.eye(own.shape[0], dtype=torch.bool, device=own.device)
        nearest_expanded = pairwise_euclidean(expanded, expanded)[off_diagonal].reshape(
            own.shape[0], -1).amin(1)
        nearest_own = pairwise_euclidean(own, own)[off_diagonal].reshape(own.shape[0], -1).amin(1)
        return self._hinge(to_origin, positive) + 0.5 * (
            self._hinge(nearest_expanded, positive) + self._hinge(nearest_own, positive))

    def forward(self, feats: torch.Tensor, expanded: torch.Tensor, labels: torch.Tensor,
                modalities: torch.Tensor) -> torch.Tensor:
        """The loss of original embeddings ``feats`` and one expansion ``expanded`` (``N x D``)."""
        owner = type(self).__name__
        check_pair(feats, labels, owner)
        check_pair(expanded, labels, owner)
        ids = labels.unique()
        if ids.numel() < 2:
            raise ValueError(f'{owner} needs at least two identities per batch')
        visible, infrared = _modality_centres(feats, labels, modalities, ids, owner)
        visible_exp, infrared_exp = _modality_centres(expanded, labels, modalities, ids, owner)
        loss = (self._one_side(visible, infrared, visible_exp) +
                self._one_side(infrared, visible, infrared_exp)) / 2
        return self.loss_weight * loss
