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
mmengine) is refused, naming the file and the type. :func:`read_checkpoint` and
:func:`load_state_dict_strictly` turn what goes wrong when a file is read and
loaded (corrupt file, refused type, missing/unexpected key, wrong shape) into
one :class:`CheckpointError` line naming the file and the first bad key. See
``docs/en/advanced_guides/checkpoints.md``.
"""
import hashlib
import pickle
import re
from typing import Dict, List

import numpy as np
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer

from .errors import UserInputError


class CheckpointError(UserInputError, ValueError):
    """A checkpoint that cannot be read (corrupt, refused type) or does not fit its model."""


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


def _first_line(error: Exception) -> str:
    return next((line.strip() for line in str(error).splitlines() if line.strip()), repr(error))


def read_checkpoint(path: str) -> dict:
    """``torch.load(path, weights_only=True)`` on the CPU, failures named by file.

    Raises:
        CheckpointError: The file is corrupt or truncated, or holds an object
            the restricted unpickler refuses (a pickle that could run code).
    """
    allow_mmengine_checkpoint_types()
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        if not lines or not lines[0].startswith('Weights only load failed'):
            raise CheckpointError(f'checkpoint {path} is corrupt: {_first_line(error)}') from None
        # torch's explanation follows its header, e.g. "... unsupported GLOBAL posix.system ..."
        reason = next((line for line in lines[1:] if 'GLOBAL' in line or 'nsupported' in line),
                      lines[1] if len(lines) > 1 else lines[0])
        raise CheckpointError(
            f'checkpoint {path} is refused: it holds an object the restricted unpickler does not '
            f'rebuild, so loading it could run code ({reason})') from None
    except (RuntimeError, EOFError, OSError, ValueError) as error:
        raise CheckpointError(f'checkpoint {path} is corrupt or truncated (torch cannot read it: '
                              f'{_first_line(error)})') from None


def state_dict_of(loaded, path: str) -> Dict[str, torch.Tensor]:
    """The weights of a loaded checkpoint: its ``state_dict`` entry, or the dict itself."""
    state_dict = loaded.get('state_dict', loaded) if isinstance(loaded, dict) else None
    if not isinstance(state_dict, dict) or not all(
            isinstance(value, torch.Tensor) for value in state_dict.values()):
        raise CheckpointError(f'checkpoint {path} holds no state dict of tensors')
    return state_dict


def load_state_dict_strictly(module: nn.Module, state_dict: Dict[str, torch.Tensor], source: str,
                             target: str, key_prefix: str = '') -> None:
    """Load ``state_dict`` into ``module``, every key and shape matching.

    Goes through ``module.load_state_dict`` (so the module's load pre-hooks, e.g.
    mmpose's renaming of old ``keypoint_head`` keys, apply); a leading
    ``module.`` (DDP) is stripped as mmengine does.

    Args:
        module (nn.Module): Receives the weights.
        state_dict (dict): The weights.
        source (str): What the weights come from, e.g. ``'checkpoint x.pth'``.
        target (str): What ``module`` is, for the message.
        key_prefix (str): Prefix of the keys in the file (named in messages).

    Raises:
        CheckpointError: One line naming ``source`` and the first bad key.
    """
    state_dict = {re.sub(r'^module\.', '', key): value for key, value in state_dict.items()}
    try:
        result = module.load_state_dict(state_dict, strict=False)
    except RuntimeError as error:
        mismatch = re.search(r'size mismatch for (\S+): (.*)', str(error))
        reason = (f'size mismatch for {key_prefix}{mismatch.group(1)} {mismatch.group(2).strip()}'
                  if mismatch else _first_line(error))
        raise CheckpointError(f'{source} does not fit {target}: {reason}') from None
    problems = [f'{len(keys)} {kind} keys, the first {key_prefix}{keys[0]}'
                for kind, keys in (('missing', result.missing_keys),
                                   ('unexpected', result.unexpected_keys)) if keys]
    if problems:
        raise CheckpointError(f'{source} does not fit {target}: {"; ".join(problems)}')


def file_sha256(path: str) -> str:
    """SHA-256 of a file, read in 1 MiB chunks (recorded with pose caches and metrics files)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()
