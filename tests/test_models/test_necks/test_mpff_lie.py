"""MPFF neck and LIE branch: strip shapes at paper resolutions and values by hand."""
import pytest
import torch

from vireid_toolbox.models.necks import LIE, MPFF
from vireid_toolbox.registry import MODELS


def embed_by_hand(part_pooled, block):
    conv, bn = block[0], block[1]
    y = part_pooled @ conv.weight[:, :, 0, 0].t() + conv.bias
    y = (y - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
    return y.clamp(min=0)


@pytest.mark.parametrize('map_hw, pis_rows, equal_rows, leg_rows', [
    ((18, 9), [(0, 3), (3, 9), (9, 18)], [(3 * i, 3 * i + 3) for i in range(6)], (15, 18)),
    ((24, 8), [(0, 4), (4, 12), (12, 24)], [(4 * i, 4 * i + 4) for i in range(6)], (20, 24)),
])
def test_mpff_strips_at_paper_resolutions(map_hw, pis_rows, equal_rows, leg_rows):
    """288x144 → 18x9 maps, 384x128 → 24x8 maps: every strip checked by hand."""
    torch.manual_seed(0)
    neck = MODELS.build(dict(type='MPFF', in_channels=32, out_channels=8)).eval()
    maps = tuple(torch.rand(2, 32, *map_hw) for _ in range(3))
    out = neck(maps)
    assert [g.shape for g in out.granularity] == [(2, 3, 8), (2, 6, 8)]
    assert out.enhanced.shape == (2, 8)
    for b, rows_list in enumerate((pis_rows, equal_rows)):
        for i, (r0, r1) in enumerate(rows_list):
            pooled = maps[b][:, :, r0:r1].amax(dim=(2, 3))
            expected = embed_by_hand(pooled, neck.branches[b].reductions[i])
            torch.testing.assert_close(out.granularity[b][:, i], expected)
    leg = maps[2][:, :, leg_rows[0]:leg_rows[1]]
    assert leg.shape[2:] == (leg_rows[1] - leg_rows[0], map_hw[1])
    torch.testing.assert_close(out.enhanced,
                               embed_by_hand(leg.amax(dim=(2, 3)), neck.enhance.reduction))


def test_mpff_one_shared_map_feeds_every_branch():
    """Table 4 row 2–4 has no duplicated stage: one map for all branches."""
    neck = MPFF(in_channels=16, out_channels=4).eval()
    x = torch.rand(2, 16, 18, 9)
    shared = neck((x, ))
    copied = neck((x, x, x))
    for a, b in zip(shared.granularity, copied.granularity):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(shared.enhanced, copied.enhanced)
    with pytest.raises(ValueError, match='reads 3 backbone maps'):
        neck((x, x))


def test_mpff_without_enhancement_and_table5_first_branch():
    neck = MPFF(in_channels=16, out_channels=4, branch_ratios=((1, ) * 9, (1, ) * 6),
                enhance=None).eval()
    out = neck((torch.rand(1, 16, 18, 9), torch.rand(1, 16, 18, 9)))
    assert [g.shape[1] for g in out.granularity] == [9, 6] and out.enhanced is None
    assert neck.num_maps == 2


def test_lie_variants():
    torch.manual_seed(0)
    x = torch.rand(2, 16, 18, 9)
    head_part = LIE(16, 4, region=(0, 1 / 6)).eval()
    torch.testing.assert_close(
        head_part(x), embed_by_hand(x[:, :, 0:3].amax(dim=(2, 3)), head_part.reduction))
    global_part = LIE(16, 4, region=(0, 1)).eval()
    torch.testing.assert_close(
        global_part(x), embed_by_hand(x.amax(dim=(2, 3)), global_part.reduction))
    attention = LIE(16, 4, region=(0, 1), pooling='attention').eval()
    conv = attention.attention
    scores = (x.flatten(2) * conv.weight[0, :, 0, 0][None, :, None]).sum(1) + conv.bias
    weights = torch.exp(scores) / torch.exp(scores).sum(dim=1, keepdim=True)
    pooled = (x.flatten(2) * weights[:, None]).sum(-1)
    torch.testing.assert_close(attention(x), embed_by_hand(pooled, attention.reduction))
    with pytest.raises(ValueError, match='unknown pooling "mean"'):
        LIE(16, 4, pooling='mean')
    with pytest.raises(ValueError, match='0 <= top < bottom <= 1'):
        LIE(16, 4, region=(1.0, 0.5))
