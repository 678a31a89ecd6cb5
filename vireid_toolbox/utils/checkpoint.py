"""Checkpoint trust model: every load goes through torch's restricted unpickler.

torch >= 2.6 loads with ``weights_only=True``, which refuses the non-tensor
objects that mmengine writes next to the weights: the ``message_hub`` holds
``HistoryBuffer`` objects whose default pickle carries numpy arrays and bound
methods (rebuilt through ``getattr``, which no restricted unpickler may allow:
it reaches any attribute of any object). Instead of turning the restriction off
for resume, the toolbox

* pickles ``HistoryBuffer`` as plain lists rebuilt by one allow-listed function,
  :func:`rebuild_history_buffer`, and
* allows numpy's array and scalar reconstruction, which log values may contain.

So loading a checkpoint — for resume, test or inference — never runs code from
the file, and a checkpoint that needs anything else (e.g. one written by plain
mmengine) is refused by torch with the name of the type. See
``docs/en/advanced_guides/checkpoints.md``.
"""
from typing import List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def rebuild_history_buffer(log_history: List[float], count_history: List[float],
                           max_length: int) -> HistoryBuffer:
    """Rebuild a ``HistoryBuffer`` from the plain values it was pickled as."""
    return HistoryBuffer(log_history, count_history, max_length)


def _reduce_history_buffer(buffer: HistoryBuffer):
    return (rebuild_history_buffer, (buffer._log_history.tolist(),
                                     buffer._count_history.tolist(), buffer.max_length))


def _numpy_types():
    """numpy objects that logged values may pickle (arrays, dtypes, scalars)."""
    from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(name)) for name in
                     ('float64', 'float32', 'float16', 'int64', 'int32', 'bool', 'uint8')]
    return [_reconstruct, scalar, np.ndarray, np.dtype, *dtype_classes]


def allow_mmengine_checkpoint_types() -> None:
    """Make mmengine checkpoints loadable with ``weights_only=True`` (see module docstring)."""
    HistoryBuffer.__reduce__ = _reduce_history_buffer
    torch.serialization.add_safe_globals([rebuild_history_buffer, *_numpy_types()])
