"""Distances of positive and negative pairs within and across modalities (the modality gap)."""
from typing import Dict

import numpy as np
import torch

PAIR_GROUPS = ('intra-modality positive', 'intra-modality negative',
               'inter-modality positive', 'inter-modality negative')


def pair_distance_groups(feats: torch.Tensor, ids: torch.Tensor,
                         modalities: torch.Tensor) -> Dict[str, np.ndarray]:
    """Cosine distances ``1 - cos`` (the metrics' distance) of every unordered pair, by group.

    A pair is *positive* when both images show the same identity and
    *intra-modality* when both come from the same modality; each pair of
    distinct images is counted once.

    Args:
        feats (Tensor): ``N x D`` features (normalised here).
        ids (Tensor): ``N`` identities.
        modalities (Tensor): ``N`` modality codes.

    Returns:
        dict: ``PAIR_GROUPS`` name -> 1-D float array of distances (possibly empty).
    """
    if feats.dim() != 2 or ids.shape != (feats.shape[0], ) or modalities.shape != ids.shape:
        raise ValueError(f'pair_distance_groups: expected features N x D, ids N and modalities '
                         f'N, got {tuple(feats.shape)}, {tuple(ids.shape)} and '
                         f'{tuple(modalities.shape)}')
    feats = torch.nn.functional.normalize(feats.double(), dim=1)
    dist = 1.0 - feats @ feats.T
    first, second = torch.triu_indices(len(ids), len(ids), offset=1)
    dist = dist[first, second]
    positive = ids[first] == ids[second]
    intra = modalities[first] == modalities[second]
    masks = dict(zip(PAIR_GROUPS, (intra & positive, intra & ~positive,
                                   ~intra & positive, ~intra & ~positive)))
    return {name: dist[mask].numpy() for name, mask in masks.items()}
