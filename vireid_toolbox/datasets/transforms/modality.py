"""Transforms applied to the images of one modality only."""
from typing import Sequence

from mmcv.transforms import BaseTransform, Compose

from vireid_toolbox.registry import TRANSFORMS
from vireid_toolbox.structures.reid_data_sample import MODALITY_NAMES


@TRANSFORMS.register_module()
class ApplyToModality(BaseTransform):
    """Run ``transforms`` on the images of ``modality``; pass the others through unchanged.

    CAJ (Ye et al., ICCV 2021) augments the two modalities differently, e.g.
    only infrared images go through its ``ChannelAdapGray``:
    ``dict(type='ApplyToModality', modality=1, transforms=[dict(type='ChannelExchange',
    gray=3, gray_prob=0.5)])``.

    Required keys: ``modality`` and what ``transforms`` need.

    Args:
        modality (int): 0 (visible) or 1 (infrared).
        transforms (Sequence[dict]): Transform configs, applied in order.
    """

    def __init__(self, modality: int, transforms: Sequence[dict]):
        if modality not in MODALITY_NAMES:
            raise ValueError(f'ApplyToModality: modality must be one of {sorted(MODALITY_NAMES)}, '
                             f'got {modality!r}')
        self.modality = modality
        self.transforms = Compose([TRANSFORMS.build(t) for t in transforms])

    def transform(self, results: dict) -> dict:
        if results.get('modality') not in MODALITY_NAMES:
            raise KeyError(f'ApplyToModality: {results.get("img_path")} has no modality '
                           f'(0 or 1), got {results.get("modality")!r}')
        return self.transforms(results) if results['modality'] == self.modality else results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(modality={self.modality}, transforms={self.transforms})'
