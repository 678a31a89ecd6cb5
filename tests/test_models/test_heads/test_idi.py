"""IDI (eq. 6-8) and the PDFENet head's final feature."""
import math

import pytest
import torch

from vireid_toolbox.models.heads import IDI, PDFENetHead

C = 8


def linear(layer, x):
    return x @ layer.weight.t() + layer.bias


def reference_idi(idi, details):
    """Eq. 6-8 for one sample, ``details`` is 3 x C."""
    q, k, v = linear(idi.query, details), linear(idi.key, details), linear(idi.value, details)
    scores = torch.zeros(3, 3)
    for a in range(3):
        for b in range(3):
            scores[a, b] = (q[a] * k[b]).sum() / math.sqrt(C)
    attention = torch.exp(scores) / torch.exp(scores).sum(dim=1, keepdim=True)
    refined = torch.stack([sum(attention[a, b] * v[b] for b in range(3)) for a in range(3)])
    hidden = torch.relu(linear(idi.weight_mlp[0], refined))
    weights = linear(idi.weight_mlp[2], hidden)  # 3 x 1, eq. 7
    return weights * refined  # eq. 8


def test_idi_matches_equations():
    idi = IDI(C, reduction=4)
    assert idi.weight_mlp[0].out_features == C // 4 and idi.weight_mlp[2].out_features == 1
    details = torch.randn(2, 3, C)
    out = idi(details)
    for n in range(2):
        torch.testing.assert_close(out[n], reference_idi(idi, details[n]))


def test_head_final_feature_is_4c():
    head = PDFENetHead(C, num_classes=4)
    maps = [torch.randn(2, C, 6, 4) for _ in range(3)] + [torch.randn(2, C, 2, 4)]
    pooled = [m.mean(dim=(2, 3)) for m in maps]
    refined = head.idi(torch.stack(pooled[1:], dim=1))
    expected = torch.cat([pooled[0], refined[:, 0], refined[:, 1], refined[:, 2]], dim=1)
    out = head.predict(maps)
    assert out.shape == (2, 4 * C)
    torch.testing.assert_close(out, expected)


def test_head_without_idi_concatenates_pooled_details():
    head = PDFENetHead(C, num_classes=4, idi=None)
    maps = [torch.randn(2, C, 6, 4) for _ in range(4)]
    expected = torch.cat([m.mean(dim=(2, 3)) for m in maps], dim=1)
    torch.testing.assert_close(head.predict(maps), expected)


def test_baseline_head_uses_global_feature_and_named_losses():
    head = PDFENetHead(C, num_classes=3, num_details=0, loss_cmce=None,
                       loss_id=dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.0),
                       feature_losses=dict(center=dict(type='CenterLoss'),
                                           hct=dict(type='HeteroCenterTripletLoss')))
    feat = torch.randn(8, C, 6, 4)
    labels = torch.tensor([0, 0, 1, 1, 0, 0, 1, 1])
    modalities = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    torch.testing.assert_close(head.predict((feat, )), feat.mean(dim=(2, 3)))
    losses = head.loss((feat, ), labels, modalities)
    assert set(losses) == {'loss_id', 'loss_center', 'loss_hct'}
    logits = head.classifier(feat.mean(dim=(2, 3)))
    expected_id = torch.nn.functional.cross_entropy(logits, labels)
    torch.testing.assert_close(losses['loss_id'], expected_id)


def test_head_with_cmce_builds_it_on_the_final_feature():
    head = PDFENetHead(C, num_classes=5, feature_losses=dict(center=dict(type='CenterLoss')))
    assert head.loss_cmce.classifiers.shape == (2, 5, 4 * C)
    maps = [torch.randn(4, C, 6, 4) for _ in range(4)]
    losses = head.loss(maps, torch.tensor([0, 1, 0, 1]), torch.tensor([0, 0, 1, 1]))
    assert {'loss_cmce_soft', 'loss_cmce_id', 'acc_cmce', 'loss_center'} == set(losses)


def test_head_errors_are_clear():
    with pytest.raises(ValueError, match='expects 4 feature maps'):
        PDFENetHead(C, num_classes=4).predict([torch.randn(2, C, 6, 4)])
    with pytest.raises(ValueError, match='at least one'):
        PDFENetHead(C, num_classes=4, loss_cmce=None)
    with pytest.raises(ValueError, match='divisible'):
        IDI(10, reduction=4)
