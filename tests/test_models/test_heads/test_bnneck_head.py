"""BNNeckHead: the AGW loss terms assembled independently, frozen shift, test feature."""
import pytest
import torch
import torch.nn.functional as F

from vireid_toolbox.models.losses import WeightedRegularizationTriplet
from vireid_toolbox.registry import MODELS


def test_loss_terms_and_test_feature():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='BNNeckHead', num_classes=4, in_channels=6))
    head.init_weights()
    feats = torch.randn(8, 6)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    terms = head.train().loss(feats, labels, torch.tensor([0, 1] * 4))
    # train-mode BN: batch statistics (biased variance), scale only
    normalised = (feats - feats.mean(0)) / torch.sqrt(feats.var(0, unbiased=False) + 1e-5)
    logits = (normalised * head.bnneck.weight) @ head.classifier.weight.t()
    torch.testing.assert_close(terms['loss_id'], F.cross_entropy(logits, labels))
    torch.testing.assert_close(terms['loss_tri'],
                               WeightedRegularizationTriplet(eps=1e-6)(feats, labels))
    # AGW's initialisation and the frozen, zero shift
    assert not head.bnneck.bias.requires_grad and head.bnneck.bias.abs().max() == 0
    assert head.classifier.bias is None and head.classifier.weight.std() < 0.002
    assert (head.bnneck.weight - 1).abs().max() < 0.1
    # test feature: the eval-mode BN feature, unit norm
    head.eval()
    expected = F.normalize((feats - head.bnneck.running_mean) /
                           torch.sqrt(head.bnneck.running_var + 1e-5) * head.bnneck.weight)
    torch.testing.assert_close(head.predict(feats), expected)


def test_shape_check():
    head = MODELS.build(dict(type='BNNeckHead', num_classes=3, in_channels=8))
    with pytest.raises(ValueError, match='N x 8'):
        head.predict(torch.randn(2, 6, 8))
