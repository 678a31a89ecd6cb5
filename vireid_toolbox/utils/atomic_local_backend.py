"""A local file backend whose writes are atomic, for checkpoints that survive a killed run.

mmengine's ``LocalBackend.put`` opens the target and writes into it, so a run
killed while saving (SIGKILL, out-of-memory killer, a pre-empted job) leaves a
truncated ``epoch_N.pth`` that looks like a checkpoint but does not load.
:class:`AtomicLocalBackend` writes ``<file>.partial``, flushes it to disk and
renames it over ``<file>``: a reader sees either no (or the previous) file or
the complete new one. The default runtime's ``CheckpointHook`` uses it through
``backend_args=dict(backend='atomic_local')``; a leftover ``.partial`` file of
a killed save is replaced when that checkpoint is saved again.
"""
import os
import os.path as osp
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.utils import mkdir_or_exist


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` whose ``put`` and ``put_text`` replace the target atomically."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        filepath = str(filepath)
        mkdir_or_exist(osp.dirname(filepath))
        partial = filepath + '.partial'
        with open(partial, 'wb') as f:
            f.write(obj)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)
