"""Sub-pixel translation of pose heatmaps, batched, on the maps' device.

The training pipeline moves the image by a random pad-and-crop; the cached
heatmaps must move with it, by a fraction of a (coarser) map pixel. The
transforms only record that translation (``heatmap_shift``, see
:mod:`vireid_toolbox.datasets.transforms.processing`) and the model's pose
source applies it to the whole batch at once: on a GPU that costs nothing,
while in a data-loader worker it cost about as much as decoding the image.
"""
from typing import Union

import numpy as np
import torch

CUBIC_A = -0.75
"""Keys' cubic parameter of OpenCV's ``INTER_CUBIC``."""


def _keys_cubic(distance: torch.Tensor) -> torch.Tensor:
    """Keys' cubic convolution weight of each ``distance`` (zero from 2 on)."""
    d = distance.abs()
    a = CUBIC_A
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return torch.where(d <= 1, near, torch.where(d < 2, far, torch.zeros_like(d)))


def _shift_matrices(shifts: torch.Tensor, size: int) -> torch.Tensor:
    """``N x size x size`` matrices: output sample ``i`` = Σ_j w(i - shift - j) · input ``j``.

    Samples outside the map are zeros (they have no column), so zeros flow in.
    """
    positions = torch.arange(size, dtype=shifts.dtype, device=shifts.device)
    distance = positions[None, :, None] - shifts[:, None, None] - positions[None, None, :]
    return _keys_cubic(distance)


def shift_heatmaps(maps: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Move each sample's ``K x h x w`` maps by its ``(dx, dy)`` map pixels.

    Bicubic interpolation (OpenCV's ``INTER_CUBIC`` weights, without its
    rounding of the fraction to 1/32 pixel) keeps a Gaussian peak's height
    within about 2% (bilinear loses up to 13% for a 1-pixel sigma); its small
    undershoot is clipped at 0. Separable: one ``h x h`` and one ``w x w``
    interpolation matrix per sample. A sample whose shift is zero is returned
    exactly as it was (not clipped).

    Args:
        maps (Tensor): ``N x K x h x w`` heatmaps.
        shifts (Tensor): ``N x 2`` translations ``(dx, dy)`` in map pixels.

    Returns:
        Tensor: float32 (or float64 for float64 maps) ``N x K x h x w``.
    """
    if maps.ndim != 4 or shifts.shape != (maps.shape[0], 2):
        raise ValueError(f'shift_heatmaps: expected N x K x h x w maps and N x 2 shifts, got '
                         f'{tuple(maps.shape)} and {tuple(shifts.shape)}')
    dtype = torch.float64 if maps.dtype == torch.float64 else torch.float32
    maps = maps.to(dtype)
    shifts = shifts.to(maps.device, dtype)
    moved = (shifts != 0).any(dim=1)
    if not moved.any():
        return maps
    rows = _shift_matrices(shifts[:, 1], maps.shape[2])[:, None]  # N x 1 x h x h
    columns = _shift_matrices(shifts[:, 0], maps.shape[3])[:, None]  # N x 1 x w x w
    shifted = (rows @ maps @ columns.transpose(-1, -2)).clamp_(min=0)
    return torch.where(moved[:, None, None, None], shifted, maps)


def aligned_heatmaps(heatmaps: Union[np.ndarray, torch.Tensor],
                     shift: Union[np.ndarray, torch.Tensor, tuple, None]) -> np.ndarray:
    """One sample's ``K x h x w`` maps with its pending ``shift`` applied, as float32 numpy.

    For readers of a pipeline's output (``results['heatmaps']`` and
    ``results.get('heatmap_shift')``, or a data sample's ``heatmaps`` and
    ``heatmap_shift``); no shift means none is pending.
    """
    maps = torch.as_tensor(heatmaps)
    shift = torch.zeros(2) if shift is None else torch.as_tensor(shift, dtype=torch.float32)
    return shift_heatmaps(maps[None].float(), shift.reshape(1, 2))[0].numpy()
