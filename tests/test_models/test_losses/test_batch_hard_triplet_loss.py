"""Batch-hard triplet loss against a brute-force loop over samples."""
import math

import pytest
import torch

from vireid_toolbox.registry import MODELS


def batch_hard_by_hand(feats, labels, margin):
    rows, ids = feats.tolist(), labels.tolist()

    def dist(a, b):
        return math.sqrt(sum((u - v)**2 for u, v in zip(a, b)))

    hinges = []
    for i, anchor in enumerate(rows):
        d_pos = max(dist(anchor, rows[j]) for j in range(len(rows)) if ids[j] == ids[i])
        d_neg = min(dist(anchor, rows[j]) for j in range(len(rows)) if ids[j] != ids[i])
        hinges.append(max(0.0, margin + d_pos - d_neg))
    return sum(hinges) / len(hinges)


@pytest.mark.parametrize('seed, margin', [(0, 0.3), (1, 0.3), (2, 2.0)])
def test_matches_brute_force(seed, margin):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.tensor([0, 0, 1, 1, 1, 2, 2, 0])
    feats = torch.randn(8, 5, generator=generator)
    loss = MODELS.build(dict(type='BatchHardTripletLoss', margin=margin))
    value = loss(feats, labels, torch.zeros(8, dtype=torch.long))
    assert value.item() == pytest.approx(batch_hard_by_hand(feats, labels, margin), rel=1e-5)
    assert value.item() > 0


def test_bad_batches_raise():
    loss = MODELS.build(dict(type='BatchHardTripletLoss'))
    with pytest.raises(ValueError, match='at least two identities'):
        loss(torch.randn(3, 2), torch.tensor([1, 1, 1]))
    with pytest.raises(ValueError, match=r'features N x D and labels N, got \(3, 2\) and \(2,\)'):
        loss(torch.randn(3, 2), torch.tensor([1, 2]))
