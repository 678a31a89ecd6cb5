"""SquaredDifferenceTripletLoss against CAJ's TripletLoss_ADP(square=1) written with loops."""
import math

import pytest
import torch

from vireid_toolbox.models.losses import SquaredDifferenceTripletLoss


def caj_loss(feats, labels, alpha, gamma):
    n = len(labels)
    dist = [[math.dist(feats[i].tolist(), feats[j].tolist()) for j in range(n)] for i in range(n)]
    total = 0.0
    for i in range(n):
        pos = [dist[i][j] for j in range(n) if labels[j] == labels[i]]
        neg = [dist[i][k] for k in range(n) if labels[k] != labels[i]]
        # the code's normaliser: shift by max(v * mask) (0 for the negatives), + 1e-6
        w_pos = [math.exp(alpha * d - alpha * max(pos)) for d in pos]
        w_neg = [math.exp(-alpha * d) for d in neg]
        p = sum(w * d for w, d in zip(w_pos, pos)) / (sum(w_pos) + 1e-6)
        q = sum(w * d for w, d in zip(w_neg, neg)) / (sum(w_neg) + 1e-6)
        s = min(gamma * (p - q) ** 2, 88.0)
        y = -1.0 if p > q else 1.0  # SoftMarginLoss(s, y) = log(1 + exp(-y s))
        total += math.log1p(math.exp(-y * s))
    return total / n


@pytest.mark.parametrize('alpha, gamma', [(1.0, 1.0), (2.0, 0.5)])
def test_matches_the_code(alpha, gamma):
    gen = torch.Generator().manual_seed(5)
    feats = torch.randn(9, 4, generator=gen)
    labels = [0, 0, 0, 1, 1, 1, 2, 2, 2]
    loss = SquaredDifferenceTripletLoss(alpha=alpha, gamma=gamma)(feats, torch.tensor(labels))
    assert math.isclose(loss.item(), caj_loss(feats, labels, alpha, gamma), rel_tol=1e-5)


def test_violations_and_satisfied_triplets_take_their_branch():
    # two tight, far-apart clusters: every triplet satisfied, the loss is log(1 + exp(-s)) < log 2
    feats = torch.tensor([[0.0, 0.0], [0.1, 0.0], [3.0, 0.0], [3.1, 0.0]])
    labels = torch.tensor([0, 0, 1, 1])
    loss = SquaredDifferenceTripletLoss()
    assert loss(feats, labels).item() < math.log(2) - 0.5
    # swapped labels: every triplet violated, s clamped at 88 or not, loss > log 2
    assert loss(feats, torch.tensor([0, 1, 0, 1])).item() > math.log(2) + 0.5
    assert math.isclose(loss(100 * feats, torch.tensor([0, 1, 0, 1])).item(), 88.0, rel_tol=1e-6)
