"""ADMPFF-Net's head: classifiers on every strip, global and enhanced feature; MGJ loss."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from vireid_toolbox.registry import MODELS
from ..losses.multi_granularity_joint_loss import GranularityPrediction, PartPrediction
from ..necks.mpff import MultiGranularityFeatures
from .hctri_head import CLASSIFIER_INIT


class PartClassifiers(nn.Module):
    """One linear identity classifier per part: ``N x S x D`` → ``N x S x K``."""

    def __init__(self, num_parts: int, in_channels: int, num_classes: int):
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(in_channels, num_classes) for _ in range(num_parts))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return torch.stack([fc(f) for fc, f in zip(self.fcs, feats.unbind(dim=1))], dim=1)


@MODELS.register_module()
class ADMPFFHead(BaseModule):
    """Identity classifiers of ADMPFF-Net and its multi-granularity joint loss.

    Every strip of the two mGFD branches ("Separate local-3/6"), every
    branch's global feature ("Global 3/6") and the LIE feature get their own
    classifier. A global feature is its branch's strips concatenated, as SPEC
    fixes it (Table 2 prints 512 dims for it); :class:`MultiGranularityJointLoss`
    combines their identity and triplet losses. The test feature is eq. (3):
    ``concat(local-3 strips, local-6 strips, enhanced)`` = 10 x 512 by
    default.

    Args:
        num_classes (int): Training identities.
        in_channels (int): Channels of every strip feature (512).
        strips_per_branch (Sequence[int]): Strips of each mGFD branch, as cut
            by the neck. Defaults to ``(3, 6)``.
        with_enhance (bool): Whether the neck has an LIE branch. Defaults to
            True.
        local_loss (bool): Supervise every strip (Table 6 "Local").
        global_loss (bool): Supervise every branch's global feature (Table 6
            "Global").
        loss (dict): The joint loss, called as ``(granularity, enhanced,
            labels, modalities)``. Defaults to MGJ with α = β = 1.
        init_cfg (dict or list[dict], optional): Defaults to N(0, 0.001²)
            classifier weights.

    Returns:
        ``loss(feats, labels, modalities)`` returns the named terms,
        ``predict(feats)`` the test feature ``N x (Σ strips + 1) · in_channels``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 512,
                 strips_per_branch: Sequence[int] = (3, 6),
                 with_enhance: bool = True,
                 local_loss: bool = True,
                 global_loss: bool = True,
                 loss: dict = dict(type='MultiGranularityJointLoss', alpha=1.0, beta=1.0),
                 init_cfg: Optional[Union[dict, List[dict]]] = CLASSIFIER_INIT):
        super().__init__(init_cfg=init_cfg)
        if not (local_loss or global_loss):
            raise ValueError('ADMPFFHead: local_loss and global_loss cannot both be False')
        self.in_channels = in_channels
        self.strips_per_branch = tuple(strips_per_branch)
        self.with_enhance = with_enhance
        self.local_classifiers = nn.ModuleList(
            PartClassifiers(s, in_channels, num_classes)
            for s in self.strips_per_branch) if local_loss else None
        self.global_classifiers = nn.ModuleList(
            PartClassifiers(1, s * in_channels, num_classes)
            for s in self.strips_per_branch) if global_loss else None
        self.enhance_classifier = PartClassifiers(
            1, in_channels, num_classes) if with_enhance else None
        self.loss_module = MODELS.build(loss)

    def _check(self, feats: MultiGranularityFeatures) -> None:
        got = tuple(tuple(f.shape[1:]) for f in feats.granularity)
        want = tuple((s, self.in_channels) for s in self.strips_per_branch)
        if got != want or (feats.enhanced is not None) != self.with_enhance:
            raise ValueError(
                f'ADMPFFHead expects strips {want} per branch and '
                f'{"an" if self.with_enhance else "no"} enhanced feature, got {got} and '
                f'{"an" if feats.enhanced is not None else "no"} enhanced feature: make '
                'strips_per_branch / with_enhance match the neck')

    def loss(self, feats: MultiGranularityFeatures, labels: torch.Tensor,
             modalities: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Named MGJ terms of the neck outputs."""
        self._check(feats)
        granularity = []
        for b, strips in enumerate(feats.granularity):
            local = global_ = None
            if self.local_classifiers is not None:
                local = PartPrediction(strips, self.local_classifiers[b](strips))
            if self.global_classifiers is not None:
                whole = strips.flatten(1)[:, None]
                global_ = PartPrediction(whole, self.global_classifiers[b](whole))
            granularity.append(GranularityPrediction(local, global_))
        enhanced = None
        if self.enhance_classifier is not None:
            part = feats.enhanced[:, None]
            enhanced = PartPrediction(part, self.enhance_classifier(part))
        return self.loss_module(granularity, enhanced, labels, modalities)

    def predict(self, feats: MultiGranularityFeatures) -> torch.Tensor:
        """Eq. (3): the strips of every branch, then the enhanced feature."""
        self._check(feats)
        parts = [strips.flatten(1) for strips in feats.granularity]
        if feats.enhanced is not None:
            parts.append(feats.enhanced)
        return torch.cat(parts, dim=1)
