"""DEEN's head: every loss term and the test feature against direct computations."""
import pytest
import torch
import torch.nn.functional as F

from vireid_toolbox.registry import MODELS


def build(**kwargs):
    head = MODELS.build(dict(type='DEENHead', in_channels=6, num_classes=4, **kwargs))
    head.init_weights()
    return head


def batch(seed=0, n_ids=2, k=2):
    gen = torch.Generator().manual_seed(seed)
    labels = torch.arange(n_ids).repeat_interleave(k).repeat(2)
    modalities = torch.arange(2).repeat_interleave(n_ids * k)
    maps = [torch.randn(len(labels), 6, 3, 2, generator=gen) for _ in range(3)]
    return maps, labels, modalities


def test_loss_terms():
    head = build()
    maps, labels, modalities = batch()
    losses = head.loss(maps, labels, modalities)
    assert set(losses) == {'loss_id', 'loss_tri', 'loss_cpm', 'loss_ort'}
    pooled = [m.mean(dim=(2, 3)) for m in maps]
    stacked = torch.cat(pooled)
    all_labels = labels.repeat(3)
    logits = F.linear(F.batch_norm(stacked, None, None, head.bottleneck.weight,
                                   head.bottleneck.bias, training=True), head.classifier.weight)
    torch.testing.assert_close(losses['loss_id'], F.cross_entropy(logits, all_labels))
    tri = MODELS.build(dict(type='BatchHardTripletLoss', margin=0.3))
    torch.testing.assert_close(losses['loss_tri'], tri(stacked, all_labels))
    cpm = MODELS.build(dict(type='CenterGuidedPairMiningLoss', margin=0.2))
    torch.testing.assert_close(losses['loss_cpm'], 0.8 * (cpm(pooled[0], pooled[1], labels,
                                                              modalities) +
                                                          cpm(pooled[0], pooled[2], labels,
                                                              modalities)))
    inner = sum(float(a @ b) for a, b in zip(pooled[1], pooled[2]))
    assert losses['loss_ort'].item() == pytest.approx(0.01 * inner / len(stacked), rel=1e-5)


def test_code_init_and_frozen_bnneck_bias():
    head = build()
    assert not head.bottleneck.bias.requires_grad and head.classifier.bias is None
    assert head.classifier.weight.std().item() == pytest.approx(0.001, rel=0.5)
    assert head.bottleneck.weight.mean().item() == pytest.approx(1.0, abs=0.02)


def test_predict_is_normalised_pooled_and_bnneck_parts():
    head = build().eval()
    maps, _, _ = batch(1)
    feats = head.predict(maps)
    assert feats.shape == (8, 36)
    parts = feats.reshape(8, 6, 6)
    torch.testing.assert_close(parts.norm(dim=2), torch.ones(8, 6))
    torch.testing.assert_close(parts[:, 2], F.normalize(maps[1].mean(dim=(2, 3))))
    torch.testing.assert_close(parts[:, 5], F.normalize(head.bottleneck(maps[2].mean(dim=(2, 3)))))


def test_rejects_wrong_maps():
    head = build()
    maps, labels, modalities = batch()
    with pytest.raises(ValueError, match='expects 3 maps'):
        head.loss(maps[:2], labels, modalities)
    with pytest.raises(ValueError, match='orthogonal loss pairs two expansions'):
        build(num_embeddings=2)
