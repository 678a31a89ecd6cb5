"""ADMPFF-Net's multi-granularity joint (MGJ) loss, eq. (8)–(10)."""
from typing import Dict, NamedTuple, Optional, Sequence

import torch
import torch.nn as nn

from vireid_toolbox.registry import MODELS


class PartPrediction(NamedTuple):
    """Features and identity logits of a group of parts.

    Attributes:
        feats (Tensor): ``N x S x D`` (S parts; a global feature is one part).
        logits (Tensor): ``N x S x K``, one classifier per part.
    """
    feats: torch.Tensor
    logits: torch.Tensor


class GranularityPrediction(NamedTuple):
    """The supervised outputs of one mGFD branch.

    Attributes:
        local (PartPrediction or None): Its strips ("Separate local-k").
        global_ (PartPrediction or None): The concatenation of its strips
            ("Global k"), one part of ``k x D`` channels.
    """
    local: Optional[PartPrediction]
    global_: Optional[PartPrediction]


@MODELS.register_module()
class MultiGranularityJointLoss(nn.Module):
    """``L_MGJ = L_id_en + L_tri_en + α L_mGFD3 + β L_mGFD6``.

    ``L_mGFD_k = Σ_i (L_tri_k_i + L_id_k_i) + L_id_k_all + L_tri_k_all``: an
    identity loss and a triplet loss on every strip of branch k and on the
    branch's global feature (its strips concatenated); ``L_id_en`` and
    ``L_tri_en`` supervise the LIE feature. The returned terms are already
    weighted, so their sum is ``L_MGJ`` and the log shows every part:
    ``loss_{id,tri}_{mgfd3,mgfd6}_{local,global}`` and ``loss_{id,tri}_en``.
    A branch whose local or global prediction is ``None`` contributes no such
    term (Table 6 ablations); ``enhanced=None`` drops the LIE terms (Fig. 5
    "Non").

    Args:
        alpha (float): Weight α of the first mGFD branch (1 on SYSU-MM01, 3 on
            RegDB, Table 3).
        beta (float): Weight β of the second mGFD branch (1 / 6).
        id_loss (dict): Identity loss config, called as ``(logits, labels)``.
            Defaults to label-smoothed cross-entropy with ε = 0.1.
        triplet_loss (dict): Triplet loss config, called as ``(feats, labels,
            modalities)``. Defaults to the hetero-center triplet, ρ = 0.3.
        branch_names (Sequence[str]): Names of the two mGFD branches in the
            loss keys. Defaults to ``('mgfd3', 'mgfd6')``.

    Returns:
        ``forward(granularity, enhanced, labels, modalities)`` returns a dict
        of named scalar terms.
    """

    def __init__(self,
                 alpha: float = 1.0,
                 beta: float = 1.0,
                 id_loss: dict = dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.1),
                 triplet_loss: dict = dict(type='HeteroCenterTripletLoss', margin=0.3),
                 branch_names: Sequence[str] = ('mgfd3', 'mgfd6')):
        super().__init__()
        if len(branch_names) != 2:
            raise ValueError(f'MultiGranularityJointLoss weighs two mGFD branches (α, β), got '
                             f'branch_names={list(branch_names)}')
        self.alpha = alpha
        self.beta = beta
        self.branch_names = tuple(branch_names)
        self.id_loss = MODELS.build(id_loss)
        self.triplet_loss = MODELS.build(triplet_loss)

    def part_losses(self, parts: PartPrediction, labels: torch.Tensor,
                    modalities: torch.Tensor):
        """Sums over the parts of the identity and the triplet loss."""
        loss_id = sum(
            self.id_loss(parts.logits[:, i], labels) for i in range(parts.logits.shape[1]))
        loss_tri = sum(
            self.triplet_loss(parts.feats[:, i], labels, modalities)
            for i in range(parts.feats.shape[1]))
        return loss_id, loss_tri

    def forward(self, granularity: Sequence[GranularityPrediction],
                enhanced: Optional[PartPrediction], labels: torch.Tensor,
                modalities: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Weighted MGJ terms; their sum is ``L_MGJ``."""
        if len(granularity) != 2:
            raise ValueError(f'MultiGranularityJointLoss expects the two mGFD branches, got '
                             f'{len(granularity)}')
        losses = {}
        for name, weight, branch in zip(self.branch_names, (self.alpha, self.beta), granularity):
            for scale, parts in (('local', branch.local), ('global', branch.global_)):
                if parts is None:
                    continue
                loss_id, loss_tri = self.part_losses(parts, labels, modalities)
                losses[f'loss_id_{name}_{scale}'] = weight * loss_id
                losses[f'loss_tri_{name}_{scale}'] = weight * loss_tri
        if enhanced is not None:
            losses['loss_id_en'], losses['loss_tri_en'] = self.part_losses(
                enhanced, labels, modalities)
        if not losses:
            raise ValueError('MultiGranularityJointLoss received no supervised feature')
        return losses
