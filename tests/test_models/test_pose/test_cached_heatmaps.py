"""CachedHeatmaps: batching the pipeline's maps, and mirroring them for flip test."""
import pytest
import torch

from vireid_toolbox.datasets.pose_cache import MPII_FLIP_PAIRS
from vireid_toolbox.models.pose import CachedHeatmaps
from vireid_toolbox.structures import ReIDDataSample, shift_heatmaps


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


def test_applies_each_samples_pending_shift_to_the_half_precision_maps():
    maps = torch.rand(3, 16, 8, 4).half()
    samples = samples_with_maps(maps)
    shifts = torch.tensor([[0.5, -1.0], [0.0, 0.0], [-1.25, 0.75]])
    for sample, shift in zip(samples[:2], shifts):
        sample.heatmap_shift = shift  # the third sample owes none: built aligned
    out = CachedHeatmaps()(torch.zeros(3, 3, 32, 16), samples, flipped=False)
    assert out.dtype == torch.float32
    expected = shift_heatmaps(maps, torch.cat([shifts[:2], torch.zeros(1, 2)]))
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    assert not torch.equal(out[0], maps[0].float()) and torch.equal(out[2], maps[2].float())


def test_half_precision_maps_under_autocast():
    """As in AMP training: float16 maps from the cache, bfloat16 autocast (CPU here)."""
    maps = torch.rand(2, 16, 8, 4).half()
    samples = samples_with_maps(maps)
    for sample in samples:
        sample.heatmap_shift = torch.tensor([0.5, -0.25])
    inputs = torch.zeros(2, 3, 32, 16)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = CachedHeatmaps()(inputs, samples)
    torch.testing.assert_close(out, CachedHeatmaps()(inputs, samples), rtol=0, atol=0)


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
