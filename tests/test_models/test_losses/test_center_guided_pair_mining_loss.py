"""The centre-guided pair mining loss against the code's computation written out by hand."""
import pytest
import torch

from vireid_toolbox.registry import MODELS


def cpm_by_hand(feats, expanded, labels, modalities, margin, detach=True):
    """DEEN's CPMLoss, one identity at a time: per-id centres of (v, t, v', t') and hinges on
    centre distances; the expansion-to-own-origin distance is detached as in the code."""
    ids = sorted(set(labels.tolist()))

    def centres(x, m):
        return [x[(labels == i) & (modalities == m)].mean(0) for i in ids]

    def dist(a, b):
        return ((a - b)**2).sum().sqrt()

    def hinge(negative, positive):
        return torch.clamp(margin + positive - negative, min=0)

    def side(own, other, exp):
        total = 0
        for i in range(len(ids)):
            ap = dist(other[i], exp[i])
            an = dist(own[i], exp[i])
            an = an.detach() if detach else an
            an_exp = min(dist(exp[i], exp[j]) for j in range(len(ids)) if j != i)
            an_own = min(dist(own[i], own[j]) for j in range(len(ids)) if j != i)
            total = total + hinge(an, ap) + 0.5 * (hinge(an_exp, ap) + hinge(an_own, ap))
        return total / len(ids)

    v, t = centres(feats, 0), centres(feats, 1)
    v2, t2 = centres(expanded, 0), centres(expanded, 1)
    return (side(v, t, v2) + side(t, v, t2)) / 2


def make_batch(seed, num_ids=3, k=2):
    gen = torch.Generator().manual_seed(seed)
    labels = torch.arange(num_ids).repeat_interleave(k).repeat(2)
    modalities = torch.arange(2).repeat_interleave(num_ids * k)
    feats = torch.randn(len(labels), 5, generator=gen) * 0.4
    expanded = feats + torch.randn(len(labels), 5, generator=gen) * 0.3
    return feats, expanded, labels, modalities


@pytest.mark.parametrize('seed, margin', [(0, 0.2), (1, 0.2), (2, 1.5)])
def test_matches_hand_computation(seed, margin):
    feats, expanded, labels, modalities = make_batch(seed)
    loss = MODELS.build(dict(type='CenterGuidedPairMiningLoss', margin=margin, loss_weight=2.0))
    value = loss(feats, expanded, labels, modalities)
    assert value.item() > 0
    assert value.item() == pytest.approx(
        2.0 * cpm_by_hand(feats, expanded, labels, modalities, margin).item(), rel=1e-5)


def test_layout_free_and_own_origin_distance_detached():
    feats, expanded, labels, modalities = make_batch(3, num_ids=4)
    loss = MODELS.build(dict(type='CenterGuidedPairMiningLoss', margin=5.0))
    perm = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(loss(feats[perm], expanded[perm], labels[perm], modalities[perm]),
                               loss(feats, expanded, labels, modalities))
    grads = {}
    for name, fn in (('loss', loss), ('detached', lambda *a: cpm_by_hand(*a, margin=5.0)),
                     ('attached', lambda *a: cpm_by_hand(*a, margin=5.0, detach=False))):
        x = expanded.clone().requires_grad_(True)
        fn(feats, x, labels, modalities).backward()
        grads[name] = x.grad
    torch.testing.assert_close(grads['loss'], grads['detached'])
    assert not torch.allclose(grads['loss'], grads['attached'])


def test_needs_both_modalities_of_every_id():
    feats, expanded, labels, modalities = make_batch(4)
    modalities[labels == 1] = 0
    loss = MODELS.build(dict(type='CenterGuidedPairMiningLoss'))
    with pytest.raises(ValueError, match=r'identities \[1\] have no sample of modality 1'):
        loss(feats, expanded, labels, modalities)
