"""CachedHeatmaps: batching the pipeline's maps, and mirroring them for flip test."""
import pytest
import torch

from vireid_toolbox.datasets.pose_cache import MPII_FLIP_PAIRS
from vireid_toolbox.models.pose import CachedHeatmaps
from vireid_toolbox.structures import ReIDDataSample


def samples_with_maps(maps):
    samples = []
    for i, m in enumerate(maps):
        sample = ReIDDataSample(metainfo=dict(img_path=f'img{i}.jpg'))
        sample.heatmaps = m
        samples.append(sample)
    return samples


def test_stacks_maps_on_the_input_device_and_dtype():
    maps = torch.rand(3, 16, 8, 4)
    inputs = torch.zeros(3, 3, 32, 16, dtype=torch.float64)
    out = CachedHeatmaps()(inputs, samples_with_maps(maps), flipped=False)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, maps.double())


def test_flipped_mirrors_maps_and_swaps_left_and_right():
    maps = torch.rand(2, 16, 8, 4)
    out = CachedHeatmaps()(torch.zeros(2, 3, 32, 16), samples_with_maps(maps), flipped=True)
    partner = {j: j for j in range(16)}
    for left, right in MPII_FLIP_PAIRS:
        partner[left], partner[right] = right, left
    for n in range(2):
        for j in range(16):
            for x in range(4):
                torch.testing.assert_close(out[n, j, :, x], maps[n, partner[j], :, 3 - x])


def test_missing_or_ragged_maps_are_clear_errors():
    sample = ReIDDataSample(metainfo=dict(img_path='a.jpg'))
    with pytest.raises(ValueError, match=r"LoadCachedHeatmaps.*|a\.jpg"):
        CachedHeatmaps()(torch.zeros(1, 3, 8, 4), [sample])
    ragged = samples_with_maps([torch.rand(16, 8, 4), torch.rand(16, 6, 4)])
    with pytest.raises(ValueError, match='differ in shape'):
        CachedHeatmaps()(torch.zeros(2, 3, 8, 4), ragged)
