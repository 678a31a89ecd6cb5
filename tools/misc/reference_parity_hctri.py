"""HcTri for ``reference_parity.py``: ``hijune6/Hetero-center-triplet-loss-for-VT-Re-ID``.

``--reference-dir`` is the repository root. The code hard-codes GeM p = 10, its RegDB setting,
so the toolbox's RegDB config is the one compared (label smoothing 0.1, ``--w_center 2``).
"""
from typing import Dict

import torch
import torch.nn as nn

from reference_parity import Adapter, Batch, code_sgd, without_download

W_CENTER = 2.0


class HcTri(Adapter):
    method = 'hctri'
    reference = ('hijune6/Hetero-center-triplet-loss-for-VT-Re-ID, model_mine.embed_net('
                 'share_net=2, pcb=on, 6 strips of 256), losses of train_mine.py --label_smooth '
                 'on --w_center 2')
    configs = {'regdb': 'configs/hctri/hctri_r50_1xb64-60e_regdb-288x144.py'}
    reference_files = ('model_mine.py', 'loss.py')

    def __init__(self, reference_dir: str, dataset: str):
        super().__init__(reference_dir, dataset)
        without_download(self.modules['model_mine.py'])

    def build_reference(self, num_classes: int) -> nn.Module:
        self.num_classes = num_classes
        return self.modules['model_mine.py'].embed_net(
            num_classes, no_local='off', gm_pool='on', share_net=2, pcb='on',
            local_feat_dim=256, num_strips=6)

    def reference_losses(self, net: nn.Module, batch: Batch) -> Dict[str, torch.Tensor]:
        """The code's hetero-centre triplet chunks the batch by identity: ids in label order."""
        loss = self.modules['loss.py']
        identity = loss.CrossEntropyLabelSmooth(self.num_classes, use_gpu=False)
        triplet = loss.CenterTripletLoss(batch_size=len(batch.visible), margin=0.3)
        strips, logits, feat = net(batch.visible, batch.infrared)
        return {'loss_id': sum(identity(out, batch.labels) for out in logits),
                'loss_tri': triplet(feat, batch.labels)[0],
                'loss_tri_strips': W_CENTER * sum(triplet(f, batch.labels)[0] for f in strips)}

    def reference_features(self, net: nn.Module, images: torch.Tensor,
                           modal: int) -> torch.Tensor:
        return net(images, images, modal)

    def reference_optimizer(self, net: nn.Module) -> torch.optim.Optimizer:
        return code_sgd(net, (net.local_conv_list, net.fc_list))
