"""Test plugin (``custom_imports``): a hook that kills its own training process with SIGKILL.

Where is read from the environment variable ``SIGKILL_AT``, so that the killed run and the run
resumed after it are the same command:

* ``iter:E:I`` kills right after iteration ``I`` (0-based) of epoch ``E`` (1-based);
* ``save:E`` kills half-way through writing the checkpoint of epoch ``E``: the first file opened
  for writing during that save gets half of its bytes, is flushed, and the process dies.

Unset, the hook does nothing.
"""
import builtins
import os
import signal

from mmengine.hooks import Hook

from vireid_toolbox.registry import HOOKS


def _sigkill():
    os.kill(os.getpid(), signal.SIGKILL)


class _HalfWriteThenKill:
    """A binary file whose first ``write`` stores half of the bytes and kills the process."""

    def __init__(self, file):
        self._file = file

    def write(self, data):
        self._file.write(data[:len(data) // 2])
        self._file.flush()
        _sigkill()

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._file.__exit__(*exc)


@HOOKS.register_module()
class SigkillHook(Hook):
    """Kill the run where ``SIGKILL_AT`` says (see the module docstring)."""

    priority = 'LOWEST'

    def __init__(self):
        where = os.environ.get('SIGKILL_AT', '')
        self.kind, *numbers = where.split(':') if where else (None, )
        self.numbers = [int(n) for n in numbers]

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if self.kind == 'iter' and [runner.epoch + 1, batch_idx] == self.numbers:
            _sigkill()

    def before_save_checkpoint(self, runner, checkpoint):
        if self.kind != 'save' or checkpoint['meta']['epoch'] != self.numbers[0]:
            return
        real_open = builtins.open

        def open_for_half_a_write(file, mode='r', *args, **kwargs):
            handle = real_open(file, mode, *args, **kwargs)
            return _HalfWriteThenKill(handle) if 'w' in mode and 'b' in mode else handle

        builtins.open = open_for_half_a_write
