"""The data sample that travels with every image through transforms, model and metrics."""
from typing import Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

VISIBLE = 0
"""Modality code of visible (RGB) images."""
INFRARED = 1
"""Modality code of infrared (thermal / near-infrared) images."""
MODALITY_NAMES = {VISIBLE: 'visible', INFRARED: 'infrared'}


def _to_long_tensor(value: Union[int, np.integer, torch.Tensor]) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.long().reshape(())
    if isinstance(value, (int, np.integer)):
        return torch.tensor(int(value), dtype=torch.long)
    raise TypeError(f'expected an int or a tensor, got {type(value).__name__}: {value!r}')


class ReIDDataSample(BaseDataElement):
    """One re-identification sample.

    Metainfo (set by :class:`PackReIDInputs`): ``img_path``, ``modality``
    (:data:`VISIBLE` or :data:`INFRARED`), ``camera`` (int), ``img_shape``,
    ``ori_shape`` and, when a geometric transform ran, ``flip``.

    Data fields:
        gt_label (Tensor): identity label, a 0-dim long tensor.
        heatmaps (Tensor): pose heatmaps ``K x h x w``, when the pipeline
            loaded them (float16 from a pose cache); moved by ``heatmap_shift``
            they are aligned with the transformed image.
        heatmap_shift (Tensor): float32 ``(dx, dy)`` in map pixels that the
            pipeline's geometric transforms left for the model to apply
            (:func:`~vireid_toolbox.structures.shift_heatmaps`); absent means none.
        pred_feature (Tensor): the L2-normalised test feature written by
            ``model.predict``.
    """

    def set_fresh_metainfo(self, metainfo: dict) -> 'ReIDDataSample':
        """``set_metainfo`` without its deep copy, for values nothing else will change.

        :class:`PackReIDInputs` packs values of a results dict it then drops;
        copying them cost more than the rest of packing a sample.
        """
        clash = self._data_fields.intersection(metainfo)
        if clash:
            raise AttributeError(f'{sorted(clash)} are data fields of this sample, not metainfo')
        self._metainfo_fields.update(metainfo)
        self.__dict__.update(metainfo)  # where set_metainfo puts them
        return self

    def set_gt_label(self, value: Union[int, np.integer, torch.Tensor]) -> 'ReIDDataSample':
        """Set the identity label."""
        self.set_field(_to_long_tensor(value), 'gt_label', dtype=torch.Tensor)
        return self

    @property
    def heatmaps(self) -> torch.Tensor:
        return self._heatmaps

    @heatmaps.setter
    def heatmaps(self, value: Union[np.ndarray, torch.Tensor]):
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(np.ascontiguousarray(value))
        self.set_field(value, '_heatmaps', dtype=torch.Tensor)

    @heatmaps.deleter
    def heatmaps(self):
        del self._heatmaps

    @property
    def heatmap_shift(self) -> torch.Tensor:
        return self._heatmap_shift

    @heatmap_shift.setter
    def heatmap_shift(self, value: torch.Tensor):
        self.set_field(value, '_heatmap_shift', dtype=torch.Tensor)

    @heatmap_shift.deleter
    def heatmap_shift(self):
        del self._heatmap_shift

    @property
    def pred_feature(self) -> torch.Tensor:
        return self._pred_feature

    @pred_feature.setter
    def pred_feature(self, value: torch.Tensor):
        self.set_field(value, '_pred_feature', dtype=torch.Tensor)

    @pred_feature.deleter
    def pred_feature(self):
        del self._pred_feature
