"""Checkpoint trust model: every load goes through torch's restricted unpickler.

torch >= 2.6 loads with ``weights_only=True``, which refuses the non-tensor
objects that mmengine writes next to the weights (the ``message_hub`` holds
``HistoryBuffer`` objects with numpy arrays). Instead of turning the
restriction off for resume, the toolbox allows exactly those types: loading a
checkpoint — for resume, test or inference — never runs code from the file,
and a checkpoint that needs anything else is refused by torch with the name of
the type. See ``docs/en/advanced_guides/checkpoints.md``.
"""
import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def _numpy_types():
    """numpy objects that mmengine's logs pickle (arrays, dtypes, scalars)."""
    from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(name)) for name in
                     ('float64', 'float32', 'float16', 'int64', 'int32', 'bool', 'uint8')]
    return [_reconstruct, scalar, np.ndarray, np.dtype, *dtype_classes]


def allow_mmengine_checkpoint_types() -> None:
    """Add mmengine's logging types to torch's ``weights_only`` allow-list."""
    torch.serialization.add_safe_globals([HistoryBuffer, *_numpy_types()])
