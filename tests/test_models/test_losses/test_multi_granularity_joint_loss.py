"""MGJ loss: eq. (8)–(10) assembled independently from its identity and triplet losses."""
import pytest
import torch

from vireid_toolbox.models.losses import CrossEntropyLabelSmoothLoss, HeteroCenterTripletLoss
from vireid_toolbox.models.losses.multi_granularity_joint_loss import (GranularityPrediction,
                                                                       PartPrediction)
from vireid_toolbox.registry import MODELS

NUM_CLASSES, DIM = 4, 6


def parts(generator, n, num_parts, dim=DIM):
    return PartPrediction(
        torch.randn(n, num_parts, dim, generator=generator),
        torch.randn(n, num_parts, NUM_CLASSES, generator=generator))


@pytest.fixture
def batch():
    generator = torch.Generator().manual_seed(0)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2])
    modalities = torch.tensor([0] * 6 + [1] * 6)
    granularity = [
        GranularityPrediction(parts(generator, 12, 3), parts(generator, 12, 1, 3 * DIM)),
        GranularityPrediction(parts(generator, 12, 6), parts(generator, 12, 1, 6 * DIM)),
    ]
    return granularity, parts(generator, 12, 1), labels, modalities


def l_id_tri(p, labels, modalities):
    """Σ over parts of (L_id + L_tri), parts written out one by one."""
    ce, tri = CrossEntropyLabelSmoothLoss(epsilon=0.1), HeteroCenterTripletLoss(margin=0.3)
    total = 0.0
    for i in range(p.feats.shape[1]):
        total += ce(p.logits[:, i], labels).item() + tri(p.feats[:, i], labels, modalities).item()
    return total


@pytest.mark.parametrize('alpha, beta', [(1.0, 1.0), (3.0, 6.0)])
def test_mgj_equation(batch, alpha, beta):
    granularity, enhanced, labels, modalities = batch
    loss = MODELS.build(dict(type='MultiGranularityJointLoss', alpha=alpha, beta=beta))
    terms = loss(granularity, enhanced, labels, modalities)
    assert set(terms) == {
        f'loss_{kind}_{branch}_{scale}'
        for kind in ('id', 'tri') for branch in ('mgfd3', 'mgfd6') for scale in ('local', 'global')
    } | {'loss_id_en', 'loss_tri_en'}
    # eq. (8)/(9): strips plus the global feature; eq. (10): LIE + α L3 + β L6
    l_mgfd3 = l_id_tri(granularity[0].local, labels, modalities) + l_id_tri(
        granularity[0].global_, labels, modalities)
    l_mgfd6 = l_id_tri(granularity[1].local, labels, modalities) + l_id_tri(
        granularity[1].global_, labels, modalities)
    l_en = l_id_tri(enhanced, labels, modalities)
    expected = l_en + alpha * l_mgfd3 + beta * l_mgfd6
    assert sum(terms.values()).item() == pytest.approx(expected, rel=1e-5)
    assert terms['loss_id_en'].item() + terms['loss_tri_en'].item() == pytest.approx(l_en, rel=1e-5)


def test_ablation_terms(batch):
    """Table 6 drops the local or global terms; Fig. 5 "Non" drops the LIE terms."""
    granularity, enhanced, labels, modalities = batch
    loss = MODELS.build(dict(type='MultiGranularityJointLoss'))
    global_only = [GranularityPrediction(None, g.global_) for g in granularity]
    terms = loss(global_only, None, labels, modalities)
    assert sorted(terms) == sorted(f'loss_{k}_{b}_global' for k in ('id', 'tri')
                                   for b in ('mgfd3', 'mgfd6'))
    expected = sum(l_id_tri(g.global_, labels, modalities) for g in granularity)
    assert sum(terms.values()).item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match='two mGFD branches'):
        loss(granularity[:1], enhanced, labels, modalities)


def test_plain_triplet_variant(batch):
    """Table 7's L_tri row: the batch-hard triplet replaces the hetero-center one."""
    granularity, enhanced, labels, modalities = batch
    loss = MODELS.build(dict(type='MultiGranularityJointLoss',
                             triplet_loss=dict(type='BatchHardTripletLoss', margin=0.3)))
    terms = loss(granularity, enhanced, labels, modalities)
    batch_hard = MODELS.build(dict(type='BatchHardTripletLoss', margin=0.3))
    torch.testing.assert_close(terms['loss_tri_en'], batch_hard(enhanced.feats[:, 0], labels))
