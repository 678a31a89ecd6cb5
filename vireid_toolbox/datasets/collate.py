"""Collation of ReID samples into batches that leave a data-loader worker cheaply."""
from typing import Sequence

import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import default_collate

from vireid_toolbox.registry import FUNCTIONS

STACKED_FIELDS = ('gt_label', 'heatmaps')
"""Data-sample tensors that :func:`reid_collate` turns into views of one batch tensor."""


def _same_shape(tensors: Sequence[torch.Tensor]) -> bool:
    return len({tuple(t.shape) for t in tensors}) == 1


@FUNCTIONS.register_module()
def reid_collate(data_batch: Sequence[dict]) -> dict:
    """``pseudo_collate``, with each kind of per-sample tensor stacked into one.

    A worker hands every tensor storage of a batch to the main process in a
    shared-memory segment of its own. With ``pseudo_collate`` that is three per
    sample (image, label, heatmaps), and setting them up costs more than
    decoding a ReID image: one worker delivered 517 images/s of empty
    384x128 samples, against 2,512 with one storage per kind. Here

    * ``inputs`` becomes one ``N x C x H x W`` tensor (the data preprocessor
      takes a stacked batch as well as a list), unless the images differ in
      shape (a pipeline without resize): then it stays a list;
    * every data sample's ``gt_label`` and ``heatmaps`` become views of one
      stacked tensor, when all samples have them with one shape.

    In a worker the stacked tensors are written straight into shared memory
    (torch's ``default_collate``), saving the copy made when they are sent.
    Values, dtypes and the batch's structure are those of ``pseudo_collate``.
    """
    batch = pseudo_collate(data_batch)
    if isinstance(batch, dict) and isinstance(batch.get('inputs'), list) and batch['inputs']:
        if _same_shape(batch['inputs']):
            batch['inputs'] = default_collate(batch['inputs'])
        samples = batch.get('data_samples') or []
        for field in STACKED_FIELDS:
            values = [getattr(sample, field, None) for sample in samples]
            if values and all(isinstance(v, torch.Tensor) for v in values) and _same_shape(values):
                for sample, view in zip(samples, default_collate(values)):
                    setattr(sample, field, view)
    return batch
