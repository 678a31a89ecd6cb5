"""AGW and CAJ for ``reference_parity.py``: ``mangye16/Cross-Modal-Re-ID-baseline``.

AGW: ``--reference-dir`` is the repository root (``model.embed_net``, ``train.py --method
agw``). CAJ: its ``ICCV21_CAJ/`` folder (``train_ext.py --method adp``, whose KL term has
weight ``--kl 0``; ``testa.py``'s flip test).
"""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_parity import Adapter, Batch, code_sgd, without_download


class AGW(Adapter):
    method = 'agw'
    reference = ('mangye16/Cross-Modal-Re-ID-baseline, model.embed_net(no_local=on, '
                 'gm_pool=on), CrossEntropyLoss + TripletLoss_WRT as train.py --method agw')
    configs = {'sysu': 'configs/agw/agw_r50_1xb64-81e_sysu-mm01-288x144.py'}
    step_exempt = {
        r'non_local\..*conv_out\.bn\.running_mean':
        "its converted value holds the non-local output conv's bias, which the code "
        'weight-decays'}

    def __init__(self, reference_dir: str, dataset: str):
        super().__init__(reference_dir, dataset)
        without_download(self.modules['model.py'])

    def build_reference(self, num_classes: int) -> nn.Module:
        return self.modules['model.py'].embed_net(num_classes, no_local='on', gm_pool='on')

    def triplet(self) -> nn.Module:
        return self.modules['loss.py'].TripletLoss_WRT()

    def reference_losses(self, net: nn.Module, batch: Batch) -> Dict[str, torch.Tensor]:
        feat, logits = net(batch.visible, batch.infrared)
        return {'loss_id': nn.CrossEntropyLoss()(logits, batch.labels),
                'loss_tri': self.triplet()(feat, batch.labels)[0]}

    def reference_features(self, net: nn.Module, images: torch.Tensor,
                           modal: int) -> torch.Tensor:
        return net(images, images, modal)[1]  # test.py's feat_att

    def reference_optimizer(self, net: nn.Module) -> torch.optim.Optimizer:
        return code_sgd(net, (net.bottleneck, net.classifier))


class CAJ(AGW):
    method = 'caj'
    reference = ('mangye16/Cross-Modal-Re-ID-baseline/ICCV21_CAJ, model.embed_net(no_local=on, '
                 'gm_pool=on), CrossEntropyLoss + TripletLoss_ADP(1, 1, square=1) as '
                 'train_ext.py --method adp, testa.py flip test')
    configs = {'sysu': 'configs/caj/caj_r50_1xb96-100e_sysu-mm01-288x144.py'}

    def make_batch(self, num_ids, num_instances, shape, generator) -> Batch:
        """The visible images, then their channel-exchanged copies (one colour channel copied
        to all three, as the code's second view), then the infrared images."""
        batch = super().make_batch(num_ids, num_instances, shape, generator)
        channel = torch.randint(0, 3, (1, ), generator=generator).repeat(3)
        batch.visible = torch.cat((batch.test_visible, batch.test_visible[:, channel]))
        batch.visible_labels = batch.visible_labels.repeat(2)
        return batch

    def triplet(self) -> nn.Module:
        return self.modules['loss.py'].TripletLoss_ADP(alpha=1, gamma=1, square=1)

    def prepare_reference(self, net: nn.Module) -> None:
        """Scale layer4's residual-output BatchNorms by 0.1: at BatchNorm scale the pooled
        features lie ~50 apart, and the code clamps the squared difference at 88, where the
        triplet's value is constant and its gradient 0; ten times closer, it takes part."""
        with torch.no_grad():
            for name, norm in net.base_resnet.base.layer4.named_modules():
                if name.endswith(('bn3', 'downsample.1')):
                    norm.weight.mul_(0.1)
                    norm.bias.mul_(0.1)

    def reference_features(self, net: nn.Module, images: torch.Tensor,
                           modal: int) -> torch.Tensor:
        mirrored = images.flip(3)
        return F.normalize((net(images, images, modal)[1] +
                            net(mirrored, mirrored, modal)[1]) / 2)
