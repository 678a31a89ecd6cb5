"""ADMG against eq. 1-5 computed sample by sample, and its Table 5 variants."""
import pytest
import torch

from vireid_toolbox.models.necks import ADMG

C, HG, WG, K = 6, 6, 4, 16
TOP, MID = [7, 8, 9, 13, 12], [3, 14, 11, 15]


def make_inputs(seed=0):
    gen = torch.Generator().manual_seed(seed)
    feat = torch.randn(3, C, HG, WG, generator=gen)
    heatmaps = torch.rand(3, K, 2 * HG, 2 * WG, generator=gen)  # twice the feature size
    return feat, heatmaps


def reference_admg(neck, feat, heatmaps, groups):
    """Eq. 1-5 for each sample with explicit 2x2 max pooling and sums."""
    selected = [j for group in groups for j in group]
    linear = neck.credibility
    outputs = []
    for n in range(feat.shape[0]):
        pooled = torch.zeros(len(selected), HG, WG)
        for s, j in enumerate(selected):
            for y in range(HG):
                for x in range(WG):
                    pooled[s, y, x] = heatmaps[n, j, 2 * y:2 * y + 2, 2 * x:2 * x + 2].max()
        gap = torch.cat([feat[n].mean(dim=(1, 2)), pooled.mean(dim=(1, 2))])
        weights = torch.sigmoid(gap @ linear.weight.t() + linear.bias)  # eq. 1
        masks, start = [], 0
        for group in groups:
            mask = torch.zeros(HG, WG)
            for s in range(start, start + len(group)):
                mask += weights[s] * pooled[s]  # eq. 2-3
            masks.append(mask)
            start += len(group)
        outputs.append((weights, masks))
    return outputs


def test_admg_matches_equations():
    neck = ADMG(in_channels=C)
    feat, heatmaps = make_inputs()
    f_g, f_top, f_mid, f_low = neck((feat, ), heatmaps)
    reference = reference_admg(neck, feat, heatmaps, [TOP, MID])
    weights, masks = neck.generate_masks(feat, heatmaps)
    for n, (ref_weights, (ref_top, ref_mid)) in enumerate(reference):
        torch.testing.assert_close(weights[n], ref_weights)
        torch.testing.assert_close(f_top[n], ref_top * feat[n])  # eq. 4
        torch.testing.assert_close(f_mid[n], ref_mid * feat[n])  # eq. 5
    torch.testing.assert_close(f_g, feat)
    torch.testing.assert_close(f_low, feat[:, :, 4:6])  # the bottom third of 6 rows
    assert neck.credibility.in_features == C + 9 and neck.credibility.out_features == 9


@pytest.mark.parametrize('modes, adaptive', [
    (('part', 'part', 'part'), []),
    (('adaptive', 'part', 'part'), ['top']),
    (('adaptive', 'adaptive', 'part'), ['top', 'mid']),
    (('adaptive', 'adaptive', 'adaptive'), ['top', 'mid', 'low']),
])
def test_table5_variants(modes, adaptive):
    low = [0, 1, 2, 4, 5, 6]
    neck = ADMG(in_channels=C, top=modes[0], mid=modes[1], low=modes[2])
    feat, heatmaps = make_inputs(seed=1)
    outputs = neck(feat, heatmaps if adaptive else None)
    groups = dict(top=TOP, mid=MID, low=low)
    reference = reference_admg(neck, feat, heatmaps, [groups[p] for p in adaptive]) \
        if adaptive else None
    for index, position in enumerate(('top', 'mid', 'low')):
        out = outputs[1 + index]
        if position in adaptive:
            masks = torch.stack([ref[1][adaptive.index(position)] for ref in reference])
            torch.testing.assert_close(out, masks[:, None] * feat)
        else:
            rows = slice(2 * index, 2 * index + 2)
            torch.testing.assert_close(out, feat[:, :, rows])
    expected_joints = sum(len(groups[p]) for p in adaptive)
    assert (neck.credibility is None) == (expected_joints == 0)
    if expected_joints:
        assert neck.credibility.out_features == expected_joints


def test_admg_errors_are_clear():
    feat, heatmaps = make_inputs()
    with pytest.raises(ValueError, match='needs pose heatmaps'):
        ADMG(in_channels=C)(feat)
    with pytest.raises(ValueError, match='heatmaps of shape'):
        ADMG(in_channels=C)(feat, heatmaps[:, :9])
    with pytest.raises(ValueError, match="top='pose'"):
        ADMG(in_channels=C, top='pose')
    with pytest.raises(ValueError, match='mid_joints'):
        ADMG(in_channels=C, mid_joints=[3, 16])
    with pytest.raises(ValueError, match='one backbone branch'):
        ADMG(in_channels=C)((feat, feat), heatmaps)
