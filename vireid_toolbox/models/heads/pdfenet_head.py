"""PDFENet head: pooled global and detail features, IDI and the training losses."""
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn

from vireid_toolbox.registry import MODELS


@MODELS.register_module()
class PDFENetHead(nn.Module):
    """Pool the neck's maps into the final feature ``f`` and train it.

    The first input map is the global map ``F_g``; the next ``num_details``
    maps (ADMG's ``F_top, F_mid, F_low``) are the details. Every map is
    average-pooled to a ``C`` vector. With details,
    ``f = concat(f_g, f_top', f_mid', f_low') in R^{4C}`` where the details
    pass through :class:`IDI` when ``idi`` is set (SPEC: the paper's
    ``R^{C x 1}`` for the IDI output is a typo, 4C needs all three) and
    are used as pooled otherwise (Table 4 "+ADMG" rows). Without details
    (the baseline), ``f = f_g``. ``f`` is the test feature.

    Losses, each optional so Tables 4 and 6 are configs: ``loss_cmce``
    (:class:`CMCELoss`, which owns the modality classifiers), ``loss_id``
    (an identity loss on the logits of a linear classifier the head owns,
    e.g. the baseline's ``CrossEntropyLabelSmoothLoss``) and
    ``feature_losses`` (``name -> config``, each called as
    ``loss(f, labels, modalities)`` and logged as ``loss_<name>``: the
    centre loss, hetero-center triplet, WRT).

    Args:
        in_channels (int): Channels ``C`` of each input map.
        num_classes (int): Number of training identities.
        num_details (int): Number of detail maps after ``F_g`` (3 with
            ADMG, 0 for the baseline). Defaults to 3.
        idi (dict, optional): :class:`IDI` config (``in_channels`` is filled
            in); ``None`` concatenates the pooled details as they are.
        loss_cmce (dict, optional): :class:`CMCELoss` config
            (``in_channels`` and ``num_classes`` are filled in).
        loss_id (dict, optional): Identity loss config, called as
            ``loss(logits, labels)``.
        feature_losses (dict, optional): ``name -> loss config``.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 num_details: int = 3,
                 idi: Optional[dict] = dict(type='IDI', reduction=4),
                 loss_cmce: Optional[dict] = dict(type='CMCELoss'),
                 loss_id: Optional[dict] = None,
                 feature_losses: Optional[Dict[str, dict]] = None):
        super().__init__()
        self.num_details = num_details
        self.feat_dim = in_channels * (1 + num_details)
        self.idi = (MODELS.build(dict(in_channels=in_channels, **idi))
                    if idi is not None and num_details else None)
        self.loss_cmce = (MODELS.build(dict(in_channels=self.feat_dim, num_classes=num_classes,
                                            **loss_cmce))
                          if loss_cmce is not None else None)
        self.classifier = nn.Linear(self.feat_dim, num_classes) if loss_id is not None else None
        self.loss_id = MODELS.build(loss_id) if loss_id is not None else None
        self.feature_losses = nn.ModuleDict(
            {name: MODELS.build(cfg) for name, cfg in (feature_losses or {}).items()})
        if self.loss_cmce is None and self.loss_id is None and not self.feature_losses:
            raise ValueError('PDFENetHead: configure at least one of loss_cmce, loss_id and '
                             'feature_losses')

    def forward(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
        """The final feature ``N x feat_dim`` from ``(F_g, *details)`` maps."""
        if isinstance(feats, torch.Tensor):
            feats = (feats, )
        if len(feats) != 1 + self.num_details:
            raise ValueError(f'PDFENetHead(num_details={self.num_details}) expects '
                             f'{1 + self.num_details} feature maps, got {len(feats)}')
        pooled = [feat.mean(dim=(2, 3)) for feat in feats]
        if not self.num_details:
            return pooled[0]
        details = torch.stack(pooled[1:], dim=1)
        if self.idi is not None:
            details = self.idi(details)
        return torch.cat([pooled[0], details.flatten(1)], dim=1)

    def loss(self, feats: Sequence[torch.Tensor], labels: torch.Tensor,
             modalities: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Named loss terms (keys with ``loss`` are summed by mmengine)."""
        final = self(feats)
        losses = {}
        if self.loss_cmce is not None:
            losses.update(self.loss_cmce(final, labels, modalities))
        if self.loss_id is not None:
            losses['loss_id'] = self.loss_id(self.classifier(final), labels)
        for name, loss in self.feature_losses.items():
            losses[f'loss_{name}'] = loss(final, labels, modalities)
        return losses

    def predict(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """The test feature (the model L2-normalises it)."""
        return self(feats)
