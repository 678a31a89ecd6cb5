"""HcTri head: loss terms assembled independently, test feature layout."""
import pytest
import torch

from vireid_toolbox.models.losses import CrossEntropyLabelSmoothLoss, HeteroCenterTripletLoss
from vireid_toolbox.registry import MODELS


@pytest.mark.parametrize('epsilon, w_center', [(0.0, 1.0), (0.1, 2.0)])
def test_hctri_loss_terms(epsilon, w_center):
    torch.manual_seed(0)
    head = MODELS.build(dict(
        type='HcTriHead', num_classes=5, in_channels=8, num_strips=6,
        id_loss=dict(type='CrossEntropyLabelSmoothLoss', epsilon=epsilon),
        strip_triplet_weight=w_center))
    head.init_weights()
    feats = torch.randn(8, 6, 8)
    labels = torch.tensor([0, 0, 1, 1, 0, 0, 1, 1])
    modalities = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    terms = head.loss(feats, labels, modalities)
    ce, tri = CrossEntropyLabelSmoothLoss(epsilon=epsilon), HeteroCenterTripletLoss(0.3)
    loss_id = sum(
        ce(feats[:, i] @ head.classifiers[i].weight.t() + head.classifiers[i].bias, labels)
        for i in range(6))
    loss_tri = tri(torch.cat([feats[:, i] for i in range(6)], dim=1), labels, modalities)
    loss_strips = w_center * sum(tri(feats[:, i], labels, modalities) for i in range(6))
    torch.testing.assert_close(terms['loss_id'], loss_id)
    torch.testing.assert_close(terms['loss_tri'], loss_tri)
    torch.testing.assert_close(terms['loss_tri_strips'], loss_strips)
    # HcTri's classifier initialisation: N(0, 0.001^2), zero bias
    assert head.classifiers[0].weight.std() < 0.002 and head.classifiers[0].bias.abs().max() == 0


def test_hctri_predict_and_shape_check():
    head = MODELS.build(dict(type='HcTriHead', num_classes=3, in_channels=256))
    feats = torch.randn(2, 6, 256)
    out = head.predict(feats)
    assert out.shape == (2, 1536)
    torch.testing.assert_close(out[:, 256:512], feats[:, 1])
    with pytest.raises(ValueError, match='N x 6 x 256'):
        head.predict(torch.randn(2, 3, 256))
