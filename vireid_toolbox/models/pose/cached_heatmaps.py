"""Pose source that reads the heatmaps the data pipeline loaded from a pose cache."""
from typing import Sequence

import torch
import torch.nn as nn

from vireid_toolbox.datasets.pose_cache import MPII_FLIP_PAIRS, flip_joint_order
from vireid_toolbox.registry import MODELS
from vireid_toolbox.structures import ReIDDataSample, shift_heatmaps


@MODELS.register_module()
class CachedHeatmaps(nn.Module):
    """The batch's ``N x K x h x w`` maps from ``data_samples[i].heatmaps``, aligned.

    The pipeline's ``LoadCachedHeatmaps`` reads a sample's maps from the
    memory-mapped pose cache (and refuses a cache made by another pose
    model); the geometric transforms record how far the image moved
    (``heatmap_shift``). This module stacks the maps on the input's device and
    applies those shifts to the whole batch (:func:`shift_heatmaps`), which a
    GPU does for nothing and a data-loader worker did at the cost of a decode.
    When the model feeds the mirrored image (``flipped=True``, flip test), the
    maps are mirrored and left/right joints swapped to match.

    Args:
        flip_pairs (Sequence[Sequence[int]]): Left/right joint pairs.
            Defaults to MPII's.
    """

    def __init__(self, flip_pairs: Sequence[Sequence[int]] = MPII_FLIP_PAIRS):
        super().__init__()
        self.flip_pairs = tuple(tuple(pair) for pair in flip_pairs)

    def forward(self, inputs: torch.Tensor, data_samples: Sequence[ReIDDataSample],
                flipped: bool = False) -> torch.Tensor:
        """Heatmaps aligned with ``inputs``, on its device and dtype.

        A sample without ``heatmap_shift`` (maps built aligned) is not moved.
        """
        missing = [s.metainfo.get('img_path') for s in data_samples if not hasattr(s, 'heatmaps')]
        if missing:
            raise ValueError(f'CachedHeatmaps: no heatmaps in the data samples of {missing[:3]}: '
                             'add LoadCachedHeatmaps to the pipeline (before the geometric '
                             'transforms) or use the online MMPoseHeatmaps source')
        shapes = {tuple(s.heatmaps.shape) for s in data_samples}
        if len(shapes) != 1:
            raise ValueError(f'CachedHeatmaps: heatmaps of one batch differ in shape {sorted(shapes)}')
        # outside autocast, which refuses to stack float16 maps under a bfloat16 autocast
        with torch.autocast(inputs.device.type, enabled=False):
            maps = torch.stack([s.heatmaps for s in data_samples]).to(inputs.device)
            shifts = torch.stack([
                s.heatmap_shift if hasattr(s, 'heatmap_shift') else torch.zeros(2)
                for s in data_samples
            ])
            maps = shift_heatmaps(maps, shifts).to(inputs.dtype)
        return self.mirror(maps) if flipped else maps

    def mirror(self, maps: torch.Tensor) -> torch.Tensor:
        """Heatmaps of the mirrored image: ``N x K x h x w`` flipped, left/right joints swapped."""
        return maps.flip(-1)[:, flip_joint_order(maps.shape[1], self.flip_pairs)]
