"""Label-smoothed cross-entropy against its equation written out per sample."""
import math

import pytest
import torch
import torch.nn.functional as F

from vireid_toolbox.registry import MODELS


def smoothed_ce_by_hand(logits, labels, epsilon):
    total = 0.0
    for row, label in zip(logits.tolist(), labels.tolist()):
        log_z = math.log(sum(math.exp(v) for v in row))
        for k, v in enumerate(row):
            q = (1 - epsilon) * (k == label) + epsilon / len(row)
            total -= q * (v - log_z)
    return total / len(logits)


@pytest.mark.parametrize('epsilon', [0.0, 0.1, 0.3])
def test_matches_equation(epsilon):
    torch.manual_seed(0)
    logits = torch.randn(5, 7) * 3
    labels = torch.tensor([0, 6, 3, 3, 1])
    loss = MODELS.build(dict(type='CrossEntropyLabelSmoothLoss', epsilon=epsilon))
    assert loss(logits, labels).item() == pytest.approx(
        smoothed_ce_by_hand(logits, labels, epsilon), rel=1e-5)
    if epsilon == 0.0:
        torch.testing.assert_close(loss(logits, labels), F.cross_entropy(logits, labels))


def test_loss_weight_and_bad_labels():
    logits, labels = torch.randn(3, 4), torch.tensor([0, 1, 2])
    plain = MODELS.build(dict(type='CrossEntropyLabelSmoothLoss'))
    doubled = MODELS.build(dict(type='CrossEntropyLabelSmoothLoss', loss_weight=2.0))
    torch.testing.assert_close(doubled(logits, labels), 2 * plain(logits, labels))
    with pytest.raises(ValueError, match=r'labels must be in \[0, 4\).*max 4'):
        plain(logits, torch.tensor([0, 1, 4]))
    with pytest.raises(ValueError, match='epsilon must be in'):
        MODELS.build(dict(type='CrossEntropyLabelSmoothLoss', epsilon=1.5))
