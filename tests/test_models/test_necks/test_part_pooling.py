"""Strip boundaries, pooling and the per-strip embedding against hand computations."""
import pytest
import torch

from vireid_toolbox.models.necks import PartPoolingNeck
from vireid_toolbox.models.necks.part_pooling import gem_pool, region_rows, strip_boundaries


@pytest.mark.parametrize('height, ratios, expected', [
    (18, (1, 2, 3), [(0, 3), (3, 9), (9, 18)]),  # pIS on 288x144 inputs
    (24, (1, 2, 3), [(0, 4), (4, 12), (12, 24)]),  # pIS on 384x128 inputs
    (12, (1, 2, 3), [(0, 2), (2, 6), (6, 12)]),  # pIS on 192x96 inputs
    (18, (1, ) * 6, [(3 * i, 3 * i + 3) for i in range(6)]),
    (24, (1, ) * 6, [(4 * i, 4 * i + 4) for i in range(6)]),
    (18, (1, ) * 9, [(2 * i, 2 * i + 2) for i in range(9)]),
    (18, (1, ) * 3, [(0, 6), (6, 12), (12, 18)]),
])
def test_strip_boundaries(height, ratios, expected):
    assert strip_boundaries(height, ratios) == expected


@pytest.mark.parametrize('height, region, expected', [(18, (5 / 6, 1), (15, 18)),
                                                      (24, (5 / 6, 1), (20, 24)),
                                                      (12, (5 / 6, 1), (10, 12)),
                                                      (18, (0, 1 / 6), (0, 3)),
                                                      (18, (1 / 6, 1 / 2), (3, 9))])
def test_region_rows(height, region, expected):
    assert region_rows(height, region) == expected


def test_bad_strips_raise_clear_errors():
    with pytest.raises(ValueError, match='height 4 cannot be cut into 6 non-empty strips'):
        strip_boundaries(4, (1, ) * 6)
    with pytest.raises(ValueError, match='positive numbers'):
        strip_boundaries(18, (1, 0, 3))
    with pytest.raises(ValueError, match='0 <= top < bottom <= 1'):
        region_rows(18, (0.5, 0.2))
    with pytest.raises(ValueError, match='unknown pooling "sum"'):
        PartPoolingNeck(8, 4, pooling='sum')


def test_gem_pool_equation():
    x = torch.rand(2, 3, 4, 5) + 0.1
    p = 3.0
    expected = torch.empty(2, 3)
    for n in range(2):
        for c in range(3):
            values = [float(v) for v in x[n, c].flatten()]
            expected[n, c] = (sum(v**p for v in values) / len(values))**(1 / p)
    torch.testing.assert_close(gem_pool(x, p), expected)
    # exponent 1 is the mean; for large p, max * n^(-1/p) <= GeM <= max
    torch.testing.assert_close(gem_pool(x, 1.0), x.mean(dim=(2, 3)))
    top = x.amax(dim=(2, 3))
    assert (gem_pool(x, 60.0) <= top + 1e-6).all()
    assert (gem_pool(x, 60.0) >= top * 20**(-1 / 60) - 1e-6).all()


def test_gem_pool_is_the_hctri_reference_form():
    # HcTri model_mine.py: (mean(x^p) + 1e-12)^(1/p), no clamp of x; the forms differ where a
    # region is (nearly) zero, as ReLU maps often are: here a zero and a tiny stripe
    x = torch.rand(2, 3, 4, 5, dtype=torch.float64)
    x[0, 0] = 0
    x[1, 2] = 1e-7
    x.requires_grad_(True)
    for p in (3.0, 10.0):
        reference = (torch.mean(x.flatten(2)**p, dim=-1) + 1e-12)**(1 / p)
        torch.testing.assert_close(gem_pool(x, p), reference, rtol=1e-12, atol=0)
        grad, = torch.autograd.grad(gem_pool(x, p).sum(), x)
        expected, = torch.autograd.grad(reference.sum(), x)
        torch.testing.assert_close(grad, expected, rtol=1e-12, atol=0)
    assert float(gem_pool(x.detach(), 3.0)[0, 0]) == pytest.approx(1e-4)  # eps^(1/3), not the clamp's 1e-6


def embed_by_hand(x, rows, block, pool):
    """pool(rows) → 1x1 conv → BN (eval) → ReLU written out element-wise."""
    conv, bn = block[0], block[1]
    pooled = pool(x[:, :, rows[0]:rows[1]].flatten(2))
    y = pooled @ conv.weight[:, :, 0, 0].t() + conv.bias
    y = (y - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
    return y.clamp(min=0)


def randomise_batch_norms(module):
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


@pytest.mark.parametrize('pooling, pool', [
    ('max', lambda v: v.max(dim=-1).values),
    ('avg', lambda v: v.mean(dim=-1)),
    ('gem', lambda v: (v.pow(3.0).mean(dim=-1) + 1e-12).pow(1 / 3.0)),
])
def test_part_pooling_neck_matches_hand_computation(pooling, pool):
    torch.manual_seed(0)
    neck = PartPoolingNeck(16, 8, ratios=(1, 2, 3), pooling=pooling, gem_p=3.0)
    neck.init_weights()
    randomise_batch_norms(neck)
    neck.eval()
    x = torch.rand(3, 16, 18, 9)
    out = neck((x, ))
    assert out.shape == (3, 3, 8)
    for i, rows in enumerate([(0, 3), (3, 9), (9, 18)]):
        torch.testing.assert_close(out[:, i], embed_by_hand(x, rows, neck.reductions[i], pool))


def test_part_pooling_neck_rejects_several_maps():
    neck = PartPoolingNeck(16, 8)
    with pytest.raises(ValueError, match='returned 3 branches'):
        neck(tuple(torch.rand(1, 16, 18, 9) for _ in range(3)))
