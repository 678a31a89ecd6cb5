"""Test features of a config's test set with identities and modalities, for the analysis tools."""
from typing import NamedTuple, Optional

import numpy as np
import torch
import torch.nn as nn
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from torch.utils.data import DataLoader, Subset

from vireid_toolbox.registry import DATASETS
from vireid_toolbox.utils.tool_utils import UserInputError, require_file
from .inference import init_reid_model


class LabelledFeatures(NamedTuple):
    """``N x D`` unit-norm features, each image's identity and modality (0 visible, 1 infrared)."""
    feats: torch.Tensor
    ids: torch.Tensor
    modalities: torch.Tensor


@torch.no_grad()
def extract_test_set_features(model: nn.Module,
                              max_images: Optional[int] = None,
                              max_ids: Optional[int] = None) -> LabelledFeatures:
    """Run a model from :func:`init_reid_model` over its config's test set, as ``tools/test.py``.

    Args:
        model (nn.Module): Model in eval mode carrying its config as ``model.cfg``.
        max_images (int, optional): Keep this many images, evenly spaced over
            the data set (which lists identities in order, so every part of it
            is represented); all by default.
        max_ids (int, optional): Keep only the images of the ``max_ids``
            smallest identities (applied before ``max_images``).

    Returns:
        LabelledFeatures: features, identities (the data set's labels) and modalities.
    """
    loader_cfg = model.cfg.test_dataloader
    with DefaultScope.overwrite_default_scope('vireid_toolbox'):  # the pipeline's transforms
        dataset = DATASETS.build(loader_cfg.dataset)
    if len(dataset) == 0:
        raise UserInputError(f'the test set of {loader_cfg.dataset.get("data_root")} is empty')
    if max_images is not None and max_images < 2:
        raise UserInputError(f'--max-images must be at least 2, got {max_images}')
    if max_ids is not None and max_ids < 1:
        raise UserInputError(f'--max-ids must be positive, got {max_ids}')
    indices = np.arange(len(dataset))
    if max_ids is not None:
        labels = np.array([dataset.get_data_info(i)['gt_label'] for i in indices])
        indices = indices[np.isin(labels, np.unique(labels)[:max_ids])]
    if max_images is not None and max_images < len(indices):
        spaced = np.linspace(0, len(indices) - 1, max_images).round().astype(int)
        indices = indices[np.unique(spaced)]
    loader = DataLoader(Subset(dataset, indices.tolist()), batch_size=loader_cfg.batch_size,
                        shuffle=False, collate_fn=pseudo_collate)
    feats, ids, modalities = [], [], []
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        feats.append(model(data['inputs'], data['data_samples'], mode='tensor').float().cpu())
        labels, codes = model.unpack_targets(data['data_samples'], torch.device('cpu'))
        ids.append(labels)
        modalities.append(codes)
    return LabelledFeatures(torch.cat(feats), torch.cat(ids), torch.cat(modalities))


def checkpoint_features_of_test_set(config: str,
                                    checkpoint: str,
                                    max_images: Optional[int] = None,
                                    max_ids: Optional[int] = None,
                                    cfg_options: Optional[dict] = None,
                                    device: str = 'cpu') -> LabelledFeatures:
    """:func:`extract_test_set_features` of a config's model with a checkpoint's weights."""
    require_file(checkpoint, 'checkpoint')
    model = init_reid_model(config, checkpoint, device=device, cfg_options=cfg_options)
    return extract_test_set_features(model, max_images, max_ids)
