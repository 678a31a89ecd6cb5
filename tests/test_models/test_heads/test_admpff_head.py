"""ADMPFF head: classifier wiring, Table 6 switches, eq. (3) test feature."""
import pytest
import torch

from vireid_toolbox.models.necks import MultiGranularityFeatures
from vireid_toolbox.registry import MODELS


def neck_output(n=8, dim=4, strips=(3, 6), enhanced=True):
    generator = torch.Generator().manual_seed(0)
    return MultiGranularityFeatures(
        tuple(torch.randn(n, s, dim, generator=generator) for s in strips),
        torch.randn(n, dim, generator=generator) if enhanced else None)


LABELS = torch.tensor([0, 0, 1, 1, 0, 0, 1, 1])
MODALITIES = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])


def test_predict_is_eq3_concatenation():
    head = MODELS.build(dict(type='ADMPFFHead', num_classes=2, in_channels=4))
    feats = neck_output()
    out = head.predict(feats)
    assert out.shape == (8, 10 * 4)
    torch.testing.assert_close(out[:, :12], feats.granularity[0].flatten(1))
    torch.testing.assert_close(out[:, 12:36], feats.granularity[1].flatten(1))
    torch.testing.assert_close(out[:, 36:], feats.enhanced)


def test_paper_feature_size():
    head = MODELS.build(dict(type='ADMPFFHead', num_classes=2, in_channels=512))
    assert head.predict(neck_output(n=2, dim=512)).shape == (2, 5120)


def test_loss_uses_every_classifier_once():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='ADMPFFHead', num_classes=2, in_channels=4))
    feats = neck_output()
    terms = head.loss(feats, LABELS, MODALITIES)
    assert len(terms) == 10 and all(v.dim() == 0 for v in terms.values())
    sum(terms.values()).backward()
    classifiers = [head.enhance_classifier] + list(head.local_classifiers) + list(
        head.global_classifiers)
    for module in classifiers:
        assert all(p.grad is not None for p in module.parameters())
    # the global classifier of branch A reads the 3 strips concatenated (3 x 4)
    assert head.global_classifiers[0].fcs[0].in_features == 12
    # the identity term of the enhanced feature is its classifier's cross-entropy
    fc = head.enhance_classifier.fcs[0]
    ce = MODELS.build(dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.1))
    torch.testing.assert_close(terms['loss_id_en'], ce(fc(feats.enhanced), LABELS))


def test_table6_switches_and_mismatch_errors():
    local_only = MODELS.build(dict(type='ADMPFFHead', num_classes=2, in_channels=4,
                                   global_loss=False))
    assert local_only.global_classifiers is None
    assert not any('global' in k for k in local_only.loss(neck_output(), LABELS, MODALITIES))
    no_lie = MODELS.build(dict(type='ADMPFFHead', num_classes=2, in_channels=4,
                               with_enhance=False))
    assert no_lie.predict(neck_output(enhanced=False)).shape == (8, 36)
    with pytest.raises(ValueError, match='no enhanced feature'):
        no_lie.predict(neck_output())
    with pytest.raises(ValueError, match=r'expects strips \(\(3, 4\), \(6, 4\)\)'):
        local_only.predict(neck_output(strips=(6, 6)))
    with pytest.raises(ValueError, match='cannot both be False'):
        MODELS.build(dict(type='ADMPFFHead', num_classes=2, local_loss=False, global_loss=False))
