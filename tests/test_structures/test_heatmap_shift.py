"""shift_heatmaps: the batched bicubic translation of cached heatmaps, against OpenCV's warp."""
import cv2
import numpy as np
import pytest
import torch

from vireid_toolbox.structures import aligned_heatmaps, shift_heatmaps


def opencv_shift(maps, dx, dy):
    """cv2.warpAffine(INTER_CUBIC, zero border) of each map, clipped at 0: the reference."""
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return np.stack([cv2.warpAffine(m, matrix, (m.shape[1], m.shape[0]), flags=cv2.INTER_CUBIC,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=0)
                     for m in maps]).clip(min=0)


def test_each_sample_moves_as_opencvs_bicubic_warp():
    """Equal to warpAffine wherever OpenCV's 1/32-pixel rounding of the fraction is exact,
    each sample of one batch by its own shift, several map pixels included."""
    shifts = [(0.25, -0.5), (-2.75, 1.875), (3, -1), (0.03125, 0.0), (-0.1875, 2.5)]
    maps = np.random.default_rng(0).random((len(shifts), 6, 20, 12)).astype(np.float32)
    out = shift_heatmaps(torch.from_numpy(maps), torch.tensor(shifts))
    assert out.dtype == torch.float32 and out.shape == maps.shape
    for n, (dx, dy) in enumerate(shifts):
        np.testing.assert_allclose(out[n].numpy(), opencv_shift(maps[n], dx, dy), atol=1e-6)


def test_an_unmoved_sample_is_returned_exactly_negative_values_included():
    maps = torch.randn(3, 4, 8, 6)  # a network's maps dip below 0; only a shift clips them
    out = shift_heatmaps(maps, torch.tensor([[0.0, 0.0], [0.5, 0.0], [0.0, 0.0]]))
    assert torch.equal(out[0], maps[0]) and torch.equal(out[2], maps[2])
    assert out[1].min() >= 0
    assert torch.equal(shift_heatmaps(maps, torch.zeros(3, 2)), maps)


def test_whole_pixel_shifts_copy_the_values():
    maps = torch.rand(1, 2, 6, 5)
    out = shift_heatmaps(maps, torch.tensor([[2.0, -1.0]]))
    expected = torch.zeros_like(maps)
    expected[..., :5, 2:] = maps[..., 1:, :3]
    assert torch.equal(out, expected)


def test_half_precision_maps_come_out_float32_float64_stays():
    maps = torch.rand(2, 3, 8, 4)
    shifts = torch.tensor([[0.3, -0.7], [1.1, 0.2]])
    half = shift_heatmaps(maps.half(), shifts)
    assert half.dtype == torch.float32
    torch.testing.assert_close(half, shift_heatmaps(maps.half().float(), shifts))
    assert shift_heatmaps(maps.double(), shifts).dtype == torch.float64


def test_aligned_heatmaps_of_one_sample():
    maps = np.random.default_rng(1).random((4, 10, 6)).astype(np.float16)
    np.testing.assert_allclose(aligned_heatmaps(maps, (0.75, -1.25)),
                               opencv_shift(maps.astype(np.float32), 0.75, -1.25), atol=1e-6)
    unmoved = aligned_heatmaps(maps, None)
    assert unmoved.dtype == np.float32 and np.array_equal(unmoved, maps.astype(np.float32))


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r'N x K x h x w maps and N x 2 shifts, got \(2, 3, 8, 4\) '
                                         r'and \(3, 2\)'):
        shift_heatmaps(torch.rand(2, 3, 8, 4), torch.zeros(3, 2))
