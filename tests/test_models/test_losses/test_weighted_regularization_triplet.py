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


def agw_code_weights(values, mask, eps):
    """The AGW code's softmax_weights, entry by entry: exp(v - m) / (sum + eps), m = max(v*mask)."""
    weights = []
    for row_v, row_m in zip(values, mask):
        m = max(v * k for v, k in zip(row_v, row_m))
        z = sum(math.exp(v - m) * k for v, k in zip(row_v, row_m)) + eps
        weights.append([math.exp(v - m) * k / z for v, k in zip(row_v, row_m)])
    return weights


@pytest.mark.parametrize('scale', [1.0, 8.0])
def test_wrt_with_the_code_normaliser(scale):
    # at scale 8 the negatives are far (exp(-d) ~ 1e-6): the code's eps changes the loss
    gen = torch.Generator().manual_seed(4)
    feats = scale * torch.randn(8, 5, generator=gen)
    labels = [0, 0, 1, 1, 2, 2, 0, 1]
    n = len(labels)
    dist = [[math.dist(feats[i].tolist(), feats[j].tolist()) for j in range(n)] for i in range(n)]
    same = [[float(labels[i] == labels[j]) for j in range(n)] for i in range(n)]
    w_pos = agw_code_weights(dist, same, 1e-6)
    w_neg = agw_code_weights([[-d for d in row] for row in dist],
                             [[1 - s for s in row] for row in same], 1e-6)
    expected = sum(
        math.log(1 + math.exp(sum(w * d for w, d in zip(w_pos[i], dist[i])) -
                              sum(w * d for w, d in zip(w_neg[i], dist[i]))))
        for i in range(n)) / n
    loss = WeightedRegularizationTriplet(eps=1e-6)(feats, torch.tensor(labels)).item()
    assert math.isclose(loss, expected, rel_tol=1e-5)
    exact = WeightedRegularizationTriplet()(feats, torch.tensor(labels)).item()
    assert (abs(exact - expected) > 1e-3) == (scale > 1)
