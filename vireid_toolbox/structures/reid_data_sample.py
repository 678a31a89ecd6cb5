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
        heatmaps (Tensor): pose heatmaps ``K x h x w`` aligned with the
            transformed image, when the pipeline loaded them.
        pred_feature (Tensor): the L2-normalised test feature written by
            ``model.predict``.
    """

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
    def pred_feature(self) -> torch.Tensor:
        return self._pred_feature

    @pred_feature.setter
    def pred_feature(self, value: torch.Tensor):
        self.set_field(value, '_pred_feature', dtype=torch.Tensor)

    @pred_feature.deleter
    def pred_feature(self):
        del self._pred_feature
