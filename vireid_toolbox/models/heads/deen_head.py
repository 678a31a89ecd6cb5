"""DEEN's head: pooled embeddings, one BNNeck classifier for all of them, and DEEN's four losses."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from vireid_toolbox.registry import MODELS

DEEN_INIT = [
    dict(type='Normal', layer='Linear', std=0.001),
    dict(type='Normal', layer='BatchNorm1d', mean=1.0, std=0.01, bias=0),
]
"""The code's init: classifier N(0, 0.001²), BNNeck weight N(1, 0.01²) and zero bias."""


@MODELS.register_module()
class DEENHead(BaseModule):
    """Average-pool every embedding map, BNNeck, identity classifier and DEEN's losses.

    The backbone gives the original embedding and its expansions
    (:class:`DEENResNet`); they are pooled to ``f_e`` (``N x C`` each) and
    stacked to one ``(E N) x C`` batch that a shared BNNeck (frozen bias) and
    a bias-free classifier see together, as in the authors' code. Losses
    (named as logged):

    - ``loss_id``: identity loss on the logits of all embeddings;
    - ``loss_tri``: triplet loss on the pooled features of all embeddings;
    - ``loss_cpm``: ``cpm_weight`` (λ1 = 0.8) × the sum over expansions of
      :class:`CenterGuidedPairMiningLoss` of (original, expansion);
    - ``loss_ort``: ``ort_weight`` (λ2 = 0.01) × ``sum_n <f_1n, f_2n> / (E N)``,
      the inner products of the two expansions of each sample (the code's
      ``loss_ort``, the paper's orthogonal loss; needs two expansions).

    The test feature concatenates, for every embedding, the L2-normalised
    pooled feature and the L2-normalised BNNeck feature (``2 E C``): the inner
    product of two such features is the sum of the code's six similarity
    matrices (its ``distmat7``).

    Args:
        in_channels (int): Channels ``C`` of each embedding map.
        num_classes (int): Training identities.
        num_embeddings (int): Original + expansions. Defaults to 3.
        id_loss (dict): Identity loss config. Defaults to plain cross-entropy.
        triplet_loss (dict): Triplet loss config, called as ``(feats, labels)``.
            Defaults to batch-hard triplet, margin 0.3.
        cpm_loss (dict): Config of :class:`CenterGuidedPairMiningLoss`.
        cpm_weight (float): λ1. Defaults to 0.8.
        ort_weight (float): λ2. Defaults to 0.01.
        init_cfg (dict or list[dict], optional): Defaults to the code's init.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 num_embeddings: int = 3,
                 id_loss: dict = dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.0),
                 triplet_loss: dict = dict(type='BatchHardTripletLoss', margin=0.3),
                 cpm_loss: dict = dict(type='CenterGuidedPairMiningLoss', margin=0.2),
                 cpm_weight: float = 0.8,
                 ort_weight: float = 0.01,
                 init_cfg: Optional[Union[dict, List[dict]]] = DEEN_INIT):
        super().__init__(init_cfg=init_cfg)
        if num_embeddings < 2:
            raise ValueError(f'DEENHead: num_embeddings must be >= 2 (the original and at '
                             f'least one expansion), got {num_embeddings}')
        if ort_weight and num_embeddings != 3:
            raise ValueError('DEENHead: the orthogonal loss pairs two expansions '
                             f'(num_embeddings=3), got num_embeddings={num_embeddings}; '
                             'set ort_weight=0')
        self.in_channels = in_channels
        self.num_embeddings = num_embeddings
        self.cpm_weight = cpm_weight
        self.ort_weight = ort_weight
        self.bottleneck = nn.BatchNorm1d(in_channels)
        self.bottleneck.bias.requires_grad_(False)
        self.classifier = nn.Linear(in_channels, num_classes, bias=False)
        self.id_loss = MODELS.build(id_loss)
        self.triplet_loss = MODELS.build(triplet_loss)
        self.cpm_loss = MODELS.build(cpm_loss)

    def pool(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Average-pooled embeddings stacked along the batch: ``(E N) x C``."""
        if len(feats) != self.num_embeddings or any(f.dim() != 4 or f.shape[1] != self.in_channels
                                                    for f in feats):
            shapes = [tuple(f.shape) for f in feats]
            raise ValueError(f'DEENHead expects {self.num_embeddings} maps N x '
                             f'{self.in_channels} x H x W (in_channels), got {shapes}: '
                             'check the backbone config')
        return torch.cat([f.mean(dim=(2, 3)) for f in feats])

    def loss(self, feats: Sequence[torch.Tensor], labels: torch.Tensor,
             modalities: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Named loss terms of the backbone's embedding maps."""
        pooled = self.pool(feats)
        all_labels = labels.repeat(self.num_embeddings)
        logits = self.classifier(self.bottleneck(pooled))
        embeddings = pooled.chunk(self.num_embeddings)
        loss_cpm = sum(self.cpm_loss(embeddings[0], expanded, labels, modalities)
                       for expanded in embeddings[1:])
        losses = dict(
            loss_id=self.id_loss(logits, all_labels),
            loss_tri=self.triplet_loss(pooled, all_labels),
            loss_cpm=self.cpm_weight * loss_cpm)
        if self.ort_weight:
            inner = (embeddings[1] * embeddings[2]).sum()
            losses['loss_ort'] = self.ort_weight * inner / pooled.shape[0]
        return losses

    def predict(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Test feature ``N x 2EC``: per embedding, normalised pooled and BNNeck features."""
        pooled = self.pool(feats)
        parts = zip(F.normalize(pooled).chunk(self.num_embeddings),
                    F.normalize(self.bottleneck(pooled)).chunk(self.num_embeddings))
        return torch.cat([part for pair in parts for part in pair], dim=1)
