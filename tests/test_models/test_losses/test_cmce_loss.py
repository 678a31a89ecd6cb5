"""CMCELoss against eq. 9-15 written out sample by sample."""
import math

import pytest
import torch

from vireid_toolbox.models.losses import CMCELoss

SCALE, LAMBDA_SOFT, LAMBDA_ID, ALPHA = 8.0, 2.5, 0.5, 0.7


def make_batch(seed=0, num_classes=5, dim=6):
    gen = torch.Generator().manual_seed(seed)
    feats = torch.randn(8, dim, generator=gen)
    labels = torch.tensor([0, 0, 3, 3, 0, 0, 3, 3])
    modalities = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    loss = CMCELoss(dim, num_classes, scale=SCALE, momentum=ALPHA,
                    lambda_soft=LAMBDA_SOFT, lambda_id=LAMBDA_ID)
    with torch.no_grad():
        # momentum copies that differ from the trained classifiers, so the test
        # can tell which of the two produced the soft labels
        loss.classifiers.copy_(torch.randn(2, num_classes, dim, generator=gen))
        loss.momentum_classifiers.copy_(torch.randn(2, num_classes, dim, generator=gen))
    return loss, feats, labels, modalities


def cosine_probs(feat, weight):
    """softmax_i(s * cos(w_i, f)) with explicit loops."""
    logits = []
    for w in weight:
        cos = sum(a * b for a, b in zip(feat, w)) / (feat.norm() * w.norm())
        logits.append(SCALE * cos)
    logits = torch.stack(logits)
    exp = torch.stack([torch.exp(v - logits.max()) for v in logits])
    return exp / exp.sum()


def reference_terms(loss, feats, labels, modalities, detach_soft=True):
    """(L_M^V + L_M^I, L_ID^V + L_ID^I) per eq. 9-12, means over each modality's samples."""
    soft_sum, id_sum = 0.0, 0.0
    for m in (0, 1):
        other = 1 - m
        soft_terms, id_terms = [], []
        for i in range(len(feats)):
            if modalities[i] != m:
                continue
            own = cosine_probs(feats[i], loss.classifiers[m])  # p^{VV} or p^{II}
            source = feats[i].detach() if detach_soft else feats[i]
            target = cosine_probs(source, loss.momentum_classifiers[other])  # p^{IV} or p^{VI}
            if detach_soft:
                target = target.detach()
            soft_terms.append(-sum(target[c] * torch.log(own[c]) for c in range(len(own))))
            id_terms.append(-torch.log(own[labels[i]]))
        soft_sum = soft_sum + sum(soft_terms) / len(soft_terms)
        id_sum = id_sum + sum(id_terms) / len(id_terms)
    return soft_sum, id_sum


def test_cmce_matches_equations():
    loss, feats, labels, modalities = make_batch()
    out = loss(feats, labels, modalities)
    soft, ident = reference_terms(loss, feats, labels, modalities)
    assert math.isclose(out['loss_cmce_soft'].item(), LAMBDA_SOFT * soft.item(), rel_tol=1e-5)
    assert math.isclose(out['loss_cmce_id'].item(), LAMBDA_ID * ident.item(), rel_tol=1e-5)
    assert set(out) == {'loss_cmce_soft', 'loss_cmce_id', 'acc_cmce'}


def test_soft_labels_come_from_the_momentum_copies():
    loss, feats, labels, modalities = make_batch()
    before = loss(feats, labels, modalities)['loss_cmce_soft']
    with torch.no_grad():
        loss.momentum_classifiers.copy_(loss.classifiers)
    after = loss(feats, labels, modalities)['loss_cmce_soft']
    assert not torch.isclose(before, after)


def test_soft_labels_carry_no_gradient():
    loss, feats, labels, modalities = make_batch()
    feats.requires_grad_(True)
    grad = torch.autograd.grad(loss(feats, labels, modalities)['loss_cmce_soft'], feats)[0]

    detached = feats.detach().clone().requires_grad_(True)
    soft, _ = reference_terms(loss, detached, labels, modalities, detach_soft=True)
    grad_detached = torch.autograd.grad(LAMBDA_SOFT * soft, detached)[0]
    through = feats.detach().clone().requires_grad_(True)
    soft, _ = reference_terms(loss, through, labels, modalities, detach_soft=False)
    grad_through = torch.autograd.grad(LAMBDA_SOFT * soft, through)[0]

    torch.testing.assert_close(grad, grad_detached, rtol=1e-4, atol=1e-6)
    assert not torch.allclose(grad, grad_through, atol=1e-4)
    assert not loss.momentum_classifiers.requires_grad


def test_momentum_update_follows_eq_13_14():
    loss, _, _, _ = make_batch()
    theta_m = loss.momentum_classifiers.clone()
    for step in range(3):
        with torch.no_grad():
            loss.classifiers.add_(0.1 * (step + 1))
        theta_c = loss.classifiers.detach().clone()
        loss.momentum_update()
        expected = torch.empty_like(theta_m)
        for m in range(2):
            for c in range(theta_m.shape[1]):
                for d in range(theta_m.shape[2]):
                    expected[m, c, d] = ALPHA * theta_m[m, c, d] + (1 - ALPHA) * theta_c[m, c, d]
        torch.testing.assert_close(loss.momentum_classifiers, expected)
        theta_m = expected


def test_momentum_copies_are_in_the_state_dict():
    loss, _, _, _ = make_batch(seed=1)
    restored, _, _, _ = make_batch(seed=2)
    assert 'momentum_classifiers' in loss.state_dict()
    restored.load_state_dict(loss.state_dict())
    torch.testing.assert_close(restored.momentum_classifiers, loss.momentum_classifiers)


def test_single_modality_batch_uses_its_terms_only():
    loss, feats, labels, modalities = make_batch()
    visible = modalities == 0
    out = loss(feats[visible], labels[visible], modalities[visible])
    own = torch.stack([cosine_probs(f, loss.classifiers[0]) for f in feats[visible]])
    expected_id = -torch.log(own[torch.arange(len(own)), labels[visible]]).mean()
    assert math.isclose(out['loss_cmce_id'].item(), LAMBDA_ID * expected_id.item(), rel_tol=1e-5)


def test_bad_momentum_is_rejected():
    with pytest.raises(ValueError, match='momentum'):
        CMCELoss(4, 3, momentum=1.0)
