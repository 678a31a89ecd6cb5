"""The re-identification model that every method in the toolbox is configured as."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from vireid_toolbox.models.pose import CachedHeatmaps
from vireid_toolbox.registry import MODELS
from vireid_toolbox.structures import ReIDDataSample

OptConfig = Optional[dict]


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite (the message names every loss term)."""


@MODELS.register_module()
class VIReIDModel(BaseModel):
    """Backbone → (pose) → neck → head model for visible-infrared ReID.

    The backbone receives every sample's modality, so dual-stream backbones
    route samples by modality and never by their position in the batch. A
    ``pose`` source (online mmpose network or cached heatmaps) is optional;
    when present its heatmaps are passed to the neck. :meth:`features` is
    the test-feature path on tensors only (modalities and cached heatmaps as
    tensors); ``mode='tensor'`` and the ONNX exporter both run it.

    Args:
        backbone (dict): Backbone config; called as ``backbone(inputs, modalities)``.
        head (dict): Head config; provides ``loss(feats, labels, modalities)``
            returning a dict of named ``loss_*`` terms, and ``predict(feats)``
            returning the test feature ``N x D``.
        neck (dict, optional): Neck config; called as ``neck(feats)`` or
            ``neck(feats, heatmaps)`` when a pose source is configured.
        pose (dict, optional): Pose heatmap source; called as
            ``pose(inputs, data_samples, flipped)`` and returning ``N x K x h x w``.
        test_cfg (dict, optional): ``flip=True`` averages the features of the
            image and its mirror (test-time augmentation, off by default; the
            metrics tag every key computed from such features).
        data_preprocessor (dict, optional): Defaults to mmengine's
            ``ImgDataPreprocessor`` with ImageNet statistics, BGR→RGB.
        init_cfg (dict, optional): Initialisation config.

    Examples:
        >>> model = MODELS.build(dict(type='VIReIDModel', backbone=..., head=...))
        >>> losses = model(inputs, data_samples, mode='loss')
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: OptConfig = None,
                 pose: OptConfig = None,
                 test_cfg: OptConfig = None,
                 data_preprocessor: OptConfig = None,
                 init_cfg: OptConfig = None):
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='ImgDataPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                bgr_to_rgb=True)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.pose = MODELS.build(pose) if pose is not None else None
        self.head = MODELS.build(head)
        self.test_cfg = {'flip': False, **(test_cfg or {})}

    @staticmethod
    def unpack_targets(data_samples: Sequence[ReIDDataSample],
                       device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
        """Return ``(labels, modalities)`` as long tensors on ``device``."""
        modalities = [sample.metainfo['modality'] for sample in data_samples]
        modalities = torch.as_tensor(modalities, dtype=torch.long, device=device)
        if all('gt_label' in sample for sample in data_samples):
            labels = torch.stack([sample.gt_label for sample in data_samples]).to(device)
        else:
            labels = torch.full_like(modalities, -1)
        return labels, modalities

    def extract_feat(self,
                     inputs: torch.Tensor,
                     data_samples: Sequence[ReIDDataSample],
                     flipped: bool = False):
        """Backbone, pose heatmaps and neck; returns what the head consumes."""
        _, modalities = self.unpack_targets(data_samples, inputs.device)
        heatmaps = None
        if self.pose is not None:
            heatmaps = self.pose(inputs, data_samples, flipped)
        return self.backbone_neck(inputs, modalities, heatmaps)

    def backbone_neck(self,
                      inputs: torch.Tensor,
                      modalities: torch.Tensor,
                      heatmaps: Optional[torch.Tensor] = None):
        """Backbone and neck on tensors only; returns what the head consumes.

        Args:
            inputs (Tensor): Preprocessed ``N x 3 x H x W`` batch.
            modalities (Tensor): Long tensor ``N`` of 0 (visible) / 1 (infrared).
            heatmaps (Tensor, optional): ``N x K x h x w`` maps aligned with
                ``inputs``. ``None`` with a pose source configured: an online
                source computes them from ``inputs``; cached heatmaps must be given.
        """
        feats = self.backbone(inputs, modalities)
        if self.pose is not None:
            if heatmaps is None:
                if isinstance(self.pose, CachedHeatmaps):
                    raise ValueError('VIReIDModel: the pose source CachedHeatmaps reads the '
                                     'heatmaps from the data: pass them as heatmaps=')
                heatmaps = self.pose(inputs)
            return self.neck(feats, heatmaps)
        return self.neck(feats) if self.neck is not None else feats

    def features(self,
                 inputs: torch.Tensor,
                 modalities: torch.Tensor,
                 heatmaps: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Test features from tensors only: the path of ``mode='tensor'`` and of ONNX export.

        Backbone → neck → ``head.predict``, plus the mirrored batch when
        ``test_cfg.flip`` (cached heatmaps are mirrored with the image, an
        online pose source runs on the mirrored image), L2-normalised.

        Args:
            inputs (Tensor): Preprocessed ``N x 3 x H x W`` batch.
            modalities (Tensor): Long tensor ``N`` of 0 (visible) / 1 (infrared).
            heatmaps (Tensor, optional): Cached ``N x K x h x w`` heatmaps
                aligned with ``inputs`` (``CachedHeatmaps`` source only).

        Returns:
            Tensor: ``N x D`` unit-norm features.
        """
        if heatmaps is not None and not isinstance(self.pose, CachedHeatmaps):
            raise ValueError(f'VIReIDModel.features: heatmaps= is for the CachedHeatmaps pose '
                             f'source, this model\'s is {type(self.pose).__name__}')
        feats = self.head.predict(self.backbone_neck(inputs, modalities, heatmaps))
        if self.test_cfg['flip']:
            mirrored = None if heatmaps is None else self.pose.mirror(heatmaps)
            mirrored_feats = self.backbone_neck(inputs.flip(-1), modalities, mirrored)
            feats = feats + self.head.predict(mirrored_feats)
        return F.normalize(feats, dim=1)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[ReIDDataSample]] = None,
                mode: str = 'tensor'):
        """Dispatch to :meth:`loss`, :meth:`predict` or the plain feature path."""
        if data_samples is None:
            raise ValueError('VIReIDModel needs data_samples: every sample must '
                             'carry its modality in the metainfo')
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.test_features(inputs, data_samples)
        raise ValueError(f'invalid mode "{mode}"; expected loss, predict or tensor')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[ReIDDataSample]) -> Dict[str, torch.Tensor]:
        """Named loss terms of the head."""
        labels, modalities = self.unpack_targets(data_samples, inputs.device)
        feats = self.extract_feat(inputs, data_samples)
        return self.head.loss(feats, labels, modalities)

    def parse_losses(self, losses: Dict[str, torch.Tensor]):
        """mmengine's sum of the ``loss*`` terms, refusing a total that is not finite.

        Stepping on a NaN or infinite loss would turn the weights (and every
        later checkpoint) into NaN: training stops at that iteration instead,
        before the optimizer step, naming every loss term's value.

        Raises:
            NonFiniteLossError: The total loss is NaN or infinite.
        """
        loss, log_vars = super().parse_losses(losses)
        if not torch.isfinite(loss):
            terms = ', '.join(f'{name}={float(value):.4g}' for name, value in log_vars.items()
                              if name.startswith('loss') and name != 'loss')
            raise NonFiniteLossError(f'the loss is {loss.item()} ({terms})')
        return loss, log_vars

    def test_features(self, inputs: torch.Tensor,
                      data_samples: Sequence[ReIDDataSample]) -> torch.Tensor:
        """:meth:`features` of a batch, modalities (and cached heatmaps) from its samples."""
        _, modalities = self.unpack_targets(data_samples, inputs.device)
        heatmaps = None
        if isinstance(self.pose, CachedHeatmaps):
            heatmaps = self.pose(inputs, data_samples)
        return self.features(inputs, modalities, heatmaps)

    def predict(self, inputs: torch.Tensor,
                data_samples: List[ReIDDataSample]) -> List[ReIDDataSample]:
        """Write ``pred_feature`` (and the TTA used) into each data sample."""
        feats = self.test_features(inputs, data_samples)
        tta = 'flip' if self.test_cfg['flip'] else None
        for sample, feat in zip(data_samples, feats):
            sample.pred_feature = feat
            sample.set_metainfo(dict(tta=tta))
        return data_samples
