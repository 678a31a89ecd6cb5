"""The BNNeck head of AGW and CAJ: a metric loss before a BatchNorm, the ID loss after it."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid_toolbox.registry import MODELS

BNNECK_INIT = [
    dict(type='Normal', layer='Linear', std=0.001),
    dict(type='Normal', layer='BatchNorm1d', mean=1.0, std=0.01, bias=0),
]
"""AGW's initialisation: classifier N(0, 0.001²), BNNeck scale N(1, 0.01²) and zero shift."""


@MODELS.register_module()
class BNNeckHead(BaseModule):
    """BNNeck (Luo et al., 2019) as the AGW code builds it.

    The pooled feature ``f`` feeds the metric loss (``loss_tri``); a
    BatchNorm1d whose shift is frozen at zero gives ``g = BN(f)``, which a
    bias-free linear classifier turns into the logits of the ID loss
    (``loss_id``). The test feature is ``g``, L2-normalised (AGW/CAJ evaluate
    the normalised BN feature; normalising here lets test-time flipping
    average unit vectors, as CAJ's test script does).

    Args:
        num_classes (int): Training identities.
        in_channels (int): Feature channels. Defaults to 2048.
        id_loss (dict): Identity loss, called as ``(logits, labels)``.
            Defaults to cross-entropy without smoothing (AGW, CAJ).
        triplet_loss (dict): Metric loss, called as ``(feats, labels,
            modalities)``. Defaults to AGW's weighted regularisation triplet
            with the code's normaliser.
        init_cfg (dict or list[dict], optional): Defaults to :data:`BNNECK_INIT`.

    Returns:
        ``loss(feats, labels, modalities)`` returns ``loss_id`` and
        ``loss_tri``; ``predict(feats)`` the test feature ``N x in_channels``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 2048,
                 id_loss: dict = dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.0),
                 triplet_loss: dict = dict(type='WeightedRegularizationTriplet', eps=1e-6),
                 init_cfg: Optional[Union[dict, List[dict]]] = BNNECK_INIT):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.bnneck = nn.BatchNorm1d(in_channels)
        self.bnneck.bias.requires_grad_(False)  # no shift, as the AGW code
        self.classifier = nn.Linear(in_channels, num_classes, bias=False)
        self.id_loss = MODELS.build(id_loss)
        self.triplet_loss = MODELS.build(triplet_loss)

    def _check(self, feats: torch.Tensor) -> None:
        if feats.dim() != 2 or feats.shape[1] != self.in_channels:
            raise ValueError(f'BNNeckHead expects pooled features N x {self.in_channels} '
                             f'(in_channels), got {tuple(feats.shape)}: check the neck config')

    def loss(self, feats: torch.Tensor, labels: torch.Tensor,
             modalities: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``loss_id`` on the BN feature's logits, ``loss_tri`` on the pooled feature."""
        self._check(feats)
        return dict(
            loss_id=self.id_loss(self.classifier(self.bnneck(feats)), labels),
            loss_tri=self.triplet_loss(feats, labels, modalities))

    def predict(self, feats: torch.Tensor) -> torch.Tensor:
        """Test feature: the BN feature, L2-normalised."""
        self._check(feats)
        return F.normalize(self.bnneck(feats), dim=1)
