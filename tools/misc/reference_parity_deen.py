"""DEEN for ``reference_parity.py``: ``ZYK100/LLCM``, folder ``DEEN/`` (``--reference-dir``).

``--dataset sysu`` (also LLCM's model) or ``regdb`` (no MFA3 and no layer4), as the code's
``embed_net(num_classes, dataset)``; the loss terms of its ``train.py``.
"""
from typing import Dict, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_parity import Adapter, Batch, code_sgd, without_download

LAMBDA_CPM, LAMBDA_ORT = 0.8, 0.01  # train.py's lambda_1, lambda_2


class DEEN(Adapter):
    method = 'deen'
    reference = ('ZYK100/LLCM, DEEN/model.embed_net(num_classes, dataset), the loss terms of '
                 'DEEN/train.py')
    configs = {'sysu': 'configs/deen/deen_r50_1xb48-151e_sysu-mm01-384x144.py',
               'regdb': 'configs/deen/deen_r50_1xb48-151e_regdb-384x144.py'}

    def __init__(self, reference_dir: str, dataset: str):
        super().__init__(reference_dir, dataset)
        without_download(self.modules['model.py'])

    def build_reference(self, num_classes: int) -> nn.Module:
        return self.modules['model.py'].embed_net(num_classes, self.dataset)

    def reference_losses(self, net: nn.Module, batch: Batch) -> Dict[str, torch.Tensor]:
        """DEE stacks the batch with its two expansions: the labels repeat three times."""
        loss = self.modules['loss.py']
        visible, infrared = batch.visible_labels, batch.infrared_labels
        pairs = torch.cat((visible, infrared, visible, infrared))
        labels = batch.labels.repeat(3)
        feat, logits, loss_ort = net(batch.visible, batch.infrared)
        original, first, second = torch.chunk(feat, 3, 0)
        cpm = loss.CPMLoss(margin=0.2)
        return {
            'loss_id': nn.CrossEntropyLoss()(logits, labels),
            'loss_tri': loss.OriTripletLoss(batch_size=len(batch.visible), margin=0.3)(feat,
                                                                                      labels),
            'loss_cpm': LAMBDA_CPM * (cpm(torch.cat((original, first)), pairs) +
                                      cpm(torch.cat((original, second)), pairs)),
            'loss_ort': LAMBDA_ORT * loss_ort}

    def reference_features(self, net: nn.Module, images: torch.Tensor,
                           modal: int) -> torch.Tensor:
        """test.py's feature: the L2-normalised pooled and BNNeck features of the three
        embeddings, of the image plus its mirror (summed as its six distance matrices)."""
        pool, fc = net(images, images, modal)
        mirrored = images.flip(3)
        pool_m, fc_m = net(mirrored, mirrored, modal)
        pool, fc, n = pool + pool_m, fc + fc_m, len(images)
        return torch.cat([part[b * n:(b + 1) * n] for b in range(3) for part in (pool, fc)], 1)

    def feature_pairs(self, model: nn.Module, net: nn.Module,
                      batch: Batch) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
        """The code's test feature against ``DEENHead.predict`` of image + mirror, and the
        toolbox's final feature (that sum, L2-normalised) against the code's normalised."""
        pairs = {}
        for name, images, modality in (('visible', batch.test_visible, 0),
                                       ('infrared', batch.test_infrared, 1)):
            codes = torch.full((len(images), ), modality, dtype=torch.long)
            theirs = self.reference_features(net, images, modality + 1)
            ours = sum(model.head.predict(model.backbone(x, codes))
                       for x in (images, images.flip(3)))
            pairs[f'test feature ({name})'] = (ours, theirs)
            pairs[f'normalised test feature ({name})'] = (model.features(images, codes),
                                                          F.normalize(theirs))
        return pairs

    def reference_optimizer(self, net: nn.Module) -> torch.optim.Optimizer:
        return code_sgd(net, (net.bottleneck, net.classifier))
