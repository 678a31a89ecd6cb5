"""WeightedRegularizationTriplet against the AGW formula written with loops."""
import math

import pytest
import torch

from vireid_toolbox.models.losses import WeightedRegularizationTriplet


def reference_wrt(feats, labels):
    n = len(feats)
    dist = [[math.dist(feats[i].tolist(), feats[j].tolist()) for j in range(n)] for i in range(n)]
    total = 0.0
    for i in range(n):
        pos = [dist[i][j] for j in range(n) if labels[j] == labels[i]]  # includes the anchor
        neg = [dist[i][k] for k in range(n) if labels[k] != labels[i]]
        w_pos = [math.exp(d) for d in pos]
        w_neg = [math.exp(-d) for d in neg]
        ap = sum(w * d for w, d in zip(w_pos, pos)) / sum(w_pos)
        an = sum(w * d for w, d in zip(w_neg, neg)) / sum(w_neg)
        total += math.log(1 + math.exp(ap - an))
    return total / n


def test_wrt_matches_formula():
    gen = torch.Generator().manual_seed(3)
    feats = torch.randn(8, 5, generator=gen)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 0, 1])
    loss = WeightedRegularizationTriplet(loss_weight=2.0)
    assert math.isclose(loss(feats, labels).item(), 2.0 * reference_wrt(feats, labels),
                        rel_tol=1e-5)


def test_wrt_gradient_is_finite():
    feats = torch.randn(6, 4, requires_grad=True)
    WeightedRegularizationTriplet()(feats, torch.tensor([0, 0, 1, 1, 2, 2])).backward()
    assert torch.isfinite(feats.grad).all()


def test_wrt_needs_two_identities():
    with pytest.raises(ValueError, match='single identity'):
        WeightedRegularizationTriplet()(torch.randn(4, 3), torch.zeros(4, dtype=torch.long))
