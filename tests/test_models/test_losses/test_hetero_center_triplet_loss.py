"""Hetero-center triplet loss against a brute-force loop over centres."""
import math

import pytest
import torch

from vireid_toolbox.registry import MODELS


def hetero_center_triplet_by_hand(feats, labels, modalities, margin):
    """For every (id, modality) centre: the same id's centre in the other
    modality is the positive, the nearest other-id centre the negative."""
    groups = {}
    for f, y, m in zip(feats.tolist(), labels.tolist(), modalities.tolist()):
        groups.setdefault((y, m), []).append(f)
    centres = {key: [sum(col) / len(rows) for col in zip(*rows)] for key, rows in groups.items()}

    def dist(a, b):
        return math.sqrt(sum((u - v)**2 for u, v in zip(a, b)))

    hinges = []
    for (y, m), c in centres.items():
        d_pos = max(dist(c, o) for (y2, m2), o in centres.items() if y2 == y and m2 != m)
        d_neg = min(dist(c, o) for (y2, _), o in centres.items() if y2 != y)
        hinges.append(max(0.0, margin + d_pos - d_neg))
    return sum(hinges) / len(hinges)


def make_batch(seed, num_ids=3, per_modality=(2, 3)):
    generator = torch.Generator().manual_seed(seed)
    labels, modalities = [], []
    for pid in range(num_ids):
        for m, k in enumerate(per_modality):
            labels += [pid] * k
            modalities += [m] * k
    labels, modalities = torch.tensor(labels), torch.tensor(modalities)
    feats = torch.randn(len(labels), 4, generator=generator) * 0.5 + labels[:, None] * 0.3
    return feats, labels, modalities


@pytest.mark.parametrize('seed, margin', [(0, 0.3), (1, 0.3), (2, 1.0), (3, 5.0)])
def test_matches_brute_force(seed, margin):
    feats, labels, modalities = make_batch(seed)
    loss = MODELS.build(dict(type='HeteroCenterTripletLoss', margin=margin))
    value = loss(feats, labels, modalities)
    assert value.item() == pytest.approx(
        hetero_center_triplet_by_hand(feats, labels, modalities, margin), rel=1e-5)
    assert value.item() > 0


def test_batch_layout_does_not_matter():
    """Centres come from (label, modality) groups, not from slicing the batch."""
    feats, labels, modalities = make_batch(4, num_ids=4, per_modality=(3, 3))
    loss = MODELS.build(dict(type='HeteroCenterTripletLoss'))
    perm = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(loss(feats[perm], labels[perm], modalities[perm]),
                               loss(feats, labels, modalities))
    # a batch with unequal group sizes still gives the brute-force value
    feats, labels, modalities = make_batch(5, num_ids=2, per_modality=(1, 4))
    assert loss(feats, labels, modalities).item() == pytest.approx(
        hetero_center_triplet_by_hand(feats, labels, modalities, 0.3), rel=1e-5)


def test_gradient_flows_and_bad_batches_raise():
    feats, labels, modalities = make_batch(6)
    feats.requires_grad_(True)
    loss = MODELS.build(dict(type='HeteroCenterTripletLoss', margin=10.0))
    loss(feats, labels, modalities).backward()
    assert torch.isfinite(feats.grad).all() and feats.grad.abs().sum() > 0
    with pytest.raises(ValueError, match=r'without a counterpart: \[\[2, 0\]\]'):
        loss(feats[:-3].detach(), labels[:-3], modalities[:-3])
    with pytest.raises(ValueError, match='at least two identities'):
        loss(feats[:5].detach(), labels[:5], modalities[:5])
    with pytest.raises(ValueError, match='one modality per sample'):
        loss(feats.detach(), labels, modalities[:3])
