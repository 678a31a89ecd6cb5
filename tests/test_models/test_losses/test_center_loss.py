"""CenterLoss against SPEC's eq. 16-17 written with loops."""
import math

import pytest
import torch

from vireid_toolbox.models.losses import CenterLoss


def reference_center_loss(feats, labels, margin):
    ids = sorted(set(labels.tolist()))
    centers = {}
    for p in ids:
        members = [feats[i] for i in range(len(feats)) if labels[i] == p]
        centers[p] = sum(members) / len(members)  # eq. 16 over both modalities
    pull = sum(math.dist(feats[i].tolist(), centers[int(labels[i])].tolist())
               for i in range(len(feats))) / len(feats)
    pairs = [(p, q) for p in ids for q in ids if p != q]
    push = sum(max(0.0, margin - math.dist(centers[p].tolist(), centers[q].tolist()))
               for p, q in pairs) / len(pairs)
    return pull + push


@pytest.mark.parametrize('normalize', [False, True])
def test_center_loss_matches_spec(normalize):
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(9, 4, generator=gen) * 0.3
    labels = torch.tensor([2, 2, 2, 5, 5, 7, 7, 7, 7])
    margin = 0.8
    loss = CenterLoss(margin=margin, normalize=normalize, loss_weight=1.5)
    reference_feats = torch.nn.functional.normalize(feats, dim=1) if normalize else feats
    expected = 1.5 * reference_center_loss(reference_feats, labels, margin)
    assert math.isclose(loss(feats, labels).item(), expected, rel_tol=1e-5)


def test_center_hinge_is_active_and_inactive():
    # two identities whose centres are 1.0 apart: the hinge pushes only when margin > 1
    feats = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 1])
    assert CenterLoss(margin=0.5, normalize=False)(feats, labels).item() == pytest.approx(0.0)
    assert CenterLoss(margin=1.5, normalize=False)(feats, labels).item() == pytest.approx(0.5)


def test_center_gradient_is_finite_with_singleton_identity():
    feats = torch.randn(5, 3, requires_grad=True)
    labels = torch.tensor([0, 1, 1, 2, 2])
    CenterLoss(margin=0.5)(feats, labels).backward()
    assert torch.isfinite(feats.grad).all()


def test_center_rejects_mismatched_labels():
    with pytest.raises(ValueError, match='CenterLoss'):
        CenterLoss()(torch.randn(4, 3), torch.tensor([0, 1]))
