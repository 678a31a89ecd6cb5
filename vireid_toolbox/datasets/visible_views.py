"""A training set whose visible images also come as a second, differently augmented view (CAJ)."""
import copy
from typing import List, Optional, Sequence, Union

from mmcv.transforms import Compose
from mmengine.dataset import BaseDataset

from vireid_toolbox.registry import DATASETS, TRANSFORMS
from vireid_toolbox.structures.reid_data_sample import VISIBLE


@DATASETS.register_module()
class VisibleViewsDataset:
    """Every image of ``dataset``, then every visible image again through ``view_pipeline``.

    CAJ (Ye et al., ICCV 2021) trains on each sampled visible image twice: once
    with the ordinary augmentation and once, independently augmented, with its
    channels exchanged; both views go through the visible stream. Indices
    ``0 .. N-1`` are the images of ``dataset`` (through its own pipeline);
    index ``N + j`` is its ``j``-th visible image through ``view_pipeline``,
    whose data info carries ``view=1`` and ``source_index`` (the index of the
    first view). :class:`CrossModalityIdentitySampler` with
    ``visible_views=2`` puts both views of each drawn visible image in a batch.

    Args:
        dataset (dict or BaseDataset): The training set (config or object).
        view_pipeline (Sequence[dict]): Transforms of the second view.
        lazy_init (bool): Defer reading the data list (and the wrapped set's)
            to :meth:`full_init`, as mmengine's data sets. Defaults to False.
    """

    def __init__(self, dataset: Union[dict, BaseDataset], view_pipeline: Sequence[dict],
                 lazy_init: bool = False):
        self.dataset = (DATASETS.build(dict(dataset, lazy_init=True))
                        if isinstance(dataset, dict) else dataset)
        self.view_pipeline = Compose([TRANSFORMS.build(t) for t in view_pipeline])
        self._visible: Optional[List[int]] = None
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def full_init(self) -> None:
        """Read the wrapped set's data list and index its visible images."""
        if self._visible is not None:
            return
        self.dataset.full_init()
        self._visible = [index for index in range(len(self.dataset))
                         if self.dataset.get_data_info(index).get('modality') == VISIBLE]

    @property
    def visible(self) -> List[int]:
        """Indices of the wrapped set's visible images (the sources of the second views)."""
        self.full_init()
        return self._visible

    def __len__(self) -> int:
        return len(self.dataset) + len(self.visible)

    def get_data_info(self, index: int) -> dict:
        """The wrapped set's info; a second view's adds ``view=1`` and ``source_index``."""
        if index < len(self.dataset):
            return self.dataset.get_data_info(index)
        source = self.visible[index - len(self.dataset)]
        return dict(copy.deepcopy(self.dataset.get_data_info(source)), view=1,
                    source_index=source)

    def __getitem__(self, index: int) -> dict:
        if index < len(self.dataset):
            return self.dataset[index]
        return self.view_pipeline(self.get_data_info(index))
