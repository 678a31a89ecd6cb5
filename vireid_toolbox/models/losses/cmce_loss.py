"""Cross-modality cross-entropy (CMCE) of PDFENet, eq. 9-15."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from vireid_toolbox.registry import MODELS
from vireid_toolbox.structures import INFRARED, VISIBLE


@MODELS.register_module()
class CMCELoss(nn.Module):
    """Cross-modality cross-entropy with momentum modality classifiers.

    Two modality classifiers ``cls^V`` and ``cls^I`` score a feature by the
    scaled cosine similarity ``s * cos(w_i, f)`` of the feature with every
    identity's weight. A feature is trained against its own modality's
    classifier, both with the identity label (eq. 11-12) and with the soft
    label that the *other* modality's momentum classifier assigns to it
    (eq. 9-10): ``p^{IV} = softmax(cls_M^I(f^V))`` and
    ``p^{VI} = softmax(cls_M^V(f^I))``. Soft labels carry no gradient. The
    momentum copies follow ``theta_M = a * theta_M + (1 - a) * theta_C``
    (eq. 13-14) when :meth:`momentum_update` is called, which
    :class:`MomentumUpdateHook` does after every optimizer step; they are
    buffers, so checkpoints and resumed runs keep them.

    Follows SPEC over the printed text: the logits are *scaled* cosine
    similarities (``scale`` is a config value); the paper prints none.

    Args:
        in_channels (int): Feature dimension (4C for the full PDFENet).
        num_classes (int): Number of training identities.
        scale (float): Scale ``s`` of the cosine logits. Defaults to 16.
        momentum (float): Momentum coefficient ``alpha`` of eq. 13-14.
            Defaults to 0.7.
        lambda_soft (float): ``lambda_1``, weight of the soft-label terms
            ``L_M^V + L_M^I``. Defaults to 2.5.
        lambda_id (float): ``lambda_2``, weight of the identity terms
            ``L_ID^V + L_ID^I``. Defaults to 0.5.

    Returns (of ``forward``):
        dict: ``loss_cmce_soft`` (``lambda_1 (L_M^V + L_M^I)``),
        ``loss_cmce_id`` (``lambda_2 (L_ID^V + L_ID^I)``) and ``acc_cmce``
        (top-1 accuracy of the own-modality classifier, logged only).
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 scale: float = 16.0,
                 momentum: float = 0.7,
                 lambda_soft: float = 2.5,
                 lambda_id: float = 0.5):
        super().__init__()
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f'CMCELoss: momentum must be in [0, 1), got {momentum}')
        self.scale = scale
        self.momentum = momentum
        self.lambda_soft = lambda_soft
        self.lambda_id = lambda_id
        # row m holds the classifier of modality m (VISIBLE = 0, INFRARED = 1)
        weight = torch.empty(2, num_classes, in_channels)
        nn.init.normal_(weight, std=0.01)
        self.classifiers = nn.Parameter(weight)
        self.register_buffer('momentum_classifiers', weight.clone())

    def cosine_logits(self, feats: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """``s * cos(w_i, f)`` for every identity weight ``w_i``: ``N x num_classes``."""
        return self.scale * F.normalize(feats, dim=1) @ F.normalize(weight, dim=1).t()

    @torch.no_grad()
    def momentum_update(self) -> None:
        """Move the momentum classifiers towards the trained ones (eq. 13-14)."""
        self.momentum_classifiers.mul_(self.momentum).add_(
            self.classifiers.detach(), alpha=1.0 - self.momentum)

    @torch.no_grad()
    def soft_labels(self, feats: torch.Tensor, modality: int) -> torch.Tensor:
        """Soft labels of features of ``modality`` from the other modality's momentum classifier."""
        other = INFRARED if modality == VISIBLE else VISIBLE
        return self.cosine_logits(feats.detach(), self.momentum_classifiers[other]).softmax(dim=1)

    def forward(self, feats: torch.Tensor, labels: torch.Tensor,
                modalities: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Compute the named CMCE terms for a batch holding both modalities."""
        soft_terms, id_terms, correct = [], [], feats.new_zeros(())
        for modality in (VISIBLE, INFRARED):
            selected = modalities == modality
            if not selected.any():
                continue
            logits = self.cosine_logits(feats[selected], self.classifiers[modality])
            log_probs = logits.log_softmax(dim=1)
            targets = self.soft_labels(feats[selected], modality)
            soft_terms.append(-(targets * log_probs).sum(dim=1).mean())
            id_terms.append(F.nll_loss(log_probs, labels[selected]))
            correct = correct + (logits.argmax(dim=1) == labels[selected]).sum()
        if not soft_terms:
            raise ValueError('CMCELoss: the batch holds no visible and no infrared sample')
        return dict(
            loss_cmce_soft=self.lambda_soft * sum(soft_terms),
            loss_cmce_id=self.lambda_id * sum(id_terms),
            acc_cmce=correct.float() / len(labels))
