"""The HcTri baseline's part head: a classifier per strip, hetero-center triplets."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from vireid_toolbox.registry import MODELS

CLASSIFIER_INIT = dict(type='Normal', layer='Linear', std=0.001, bias=0)
"""HcTri initialises its classifiers from N(0, 0.001²) with zero bias."""


@MODELS.register_module()
class HcTriHead(BaseModule):
    """Identity classifiers and hetero-center triplets on PCB strips (HcTri).

    Loss (SPEC, from the HcTri reference code): an identity loss on every
    strip (``loss_id``), the triplet loss on the concatenation of the strips
    (``loss_tri``) and ``strip_triplet_weight`` × the sum of the per-strip
    triplet losses (``loss_tri_strips``; HcTri's ``w_center``). The test
    feature is the concatenation of the strips.

    Args:
        num_classes (int): Training identities.
        in_channels (int): Channels of each strip feature. Defaults to 256.
        num_strips (int): Strips per image. Defaults to 6.
        id_loss (dict): Identity loss, called as ``(logits, labels)``.
            Defaults to cross-entropy without smoothing (HcTri on SYSU-MM01).
        triplet_loss (dict): Triplet loss, called as ``(feats, labels,
            modalities)``. Defaults to the hetero-center triplet, margin 0.3.
        strip_triplet_weight (float): HcTri's ``w_center`` (1 on SYSU-MM01,
            2 on RegDB). Defaults to 1.0.
        init_cfg (dict or list[dict], optional): Defaults to N(0, 0.001²)
            classifier weights.

    Returns:
        ``loss(feats, labels, modalities)`` returns the named terms,
        ``predict(feats)`` the test feature ``N x (num_strips * in_channels)``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 256,
                 num_strips: int = 6,
                 id_loss: dict = dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.0),
                 triplet_loss: dict = dict(type='HeteroCenterTripletLoss', margin=0.3),
                 strip_triplet_weight: float = 1.0,
                 init_cfg: Optional[Union[dict, List[dict]]] = CLASSIFIER_INIT):
        super().__init__(init_cfg=init_cfg)
        self.num_strips = num_strips
        self.in_channels = in_channels
        self.strip_triplet_weight = strip_triplet_weight
        self.classifiers = nn.ModuleList(
            nn.Linear(in_channels, num_classes) for _ in range(num_strips))
        self.id_loss = MODELS.build(id_loss)
        self.triplet_loss = MODELS.build(triplet_loss)

    def _check(self, feats: torch.Tensor) -> None:
        if feats.dim() != 3 or feats.shape[1:] != (self.num_strips, self.in_channels):
            raise ValueError(f'HcTriHead expects strip features N x {self.num_strips} x '
                             f'{self.in_channels} (num_strips x in_channels), got '
                             f'{tuple(feats.shape)}: check the neck config')

    def loss(self, feats: torch.Tensor, labels: torch.Tensor,
             modalities: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Named loss terms of strip features ``N x S x D``."""
        self._check(feats)
        strips = feats.unbind(dim=1)
        loss_id = sum(self.id_loss(cls(f), labels) for cls, f in zip(self.classifiers, strips))
        loss_strips = sum(self.triplet_loss(f, labels, modalities) for f in strips)
        return dict(
            loss_id=loss_id,
            loss_tri=self.triplet_loss(feats.flatten(1), labels, modalities),
            loss_tri_strips=self.strip_triplet_weight * loss_strips)

    def predict(self, feats: torch.Tensor) -> torch.Tensor:
        """Test feature: the strips concatenated (normalised by the model)."""
        self._check(feats)
        return feats.flatten(1)
