"""A hook for the distributed-equivalence tests (imported by their configs' ``custom_imports``).

It records every process's model state after every optimizer step, as a digest of each tensor's
bytes (the tests compare bit for bit; digests keep the records small). In a 1-process run with
``accumulative_counts=N`` it can also stand in for the N processes' BatchNorm running
statistics: those are buffers each process updates with its own batches only (they never take
part in the loss), so the run keeps N sets of them, micro-batch ``i`` updating set ``i % N``,
and averages the sets at each epoch end as ``SyncBuffersHook`` averages the processes'.
"""
import hashlib
import json
import os
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.nn.modules.batchnorm import _BatchNorm

from vireid_toolbox.registry import HOOKS


def bare_model(runner):
    return runner.model.module if is_model_wrapper(runner.model) else runner.model


def digest(tensor):
    """dtype, shape and SHA-256 of the bytes: equal digests mean bit-identical tensors."""
    array = tensor.detach().cpu().contiguous().numpy()
    return f'{array.dtype}{list(array.shape)}:{hashlib.sha256(array.tobytes()).hexdigest()}'


def write_state(state, path):
    with open(path, 'w') as f:
        json.dump({key: digest(value) for key, value in state.items()}, f)


def batchnorm_buffers(model):
    """``{name: tensor}`` of the running statistics of every BatchNorm layer."""
    return {f'{prefix}.{name}': buffer
            for prefix, module in model.named_modules() if isinstance(module, _BatchNorm)
            for name, buffer in module.named_buffers(recurse=False)}


@HOOKS.register_module()
class StepRecorderHook(Hook):
    """Write ``<out_dir>/step<s>_rank<r>.json`` (:func:`digest` of every tensor of the state dict)
    after optimizer step ``s``, and
    ``<out_dir>/batches_rank<r>.json``: per iteration, the ``[img_path, gt_label, modality]`` of
    every sample of the batch.

    Args:
        out_dir (str): Where the states go.
        virtual_ranks (int): In a 1-process run, the number of processes whose BatchNorm
            statistics it keeps apart (its ``accumulative_counts``); it then writes one state
            per virtual rank. 1 (default) records the process's own state.
    """

    priority = 'LOW'  # after MomentumUpdateHook (NORMAL), before SyncBuffersHook's epoch end

    def __init__(self, out_dir, virtual_ranks=1):
        self.out_dir = out_dir
        self.virtual_ranks = virtual_ranks
        self.sets = None
        self.steps = 0
        self.batches = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.virtual_ranks == 1:
            return
        buffers = batchnorm_buffers(bare_model(runner))
        if self.sets is None:
            self.sets = [{k: v.clone() for k, v in buffers.items()}
                         for _ in range(self.virtual_ranks)]
        for name, value in self.sets[runner.iter % self.virtual_ranks].items():
            buffers[name].copy_(value)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.batches.append([[s.img_path, int(s.gt_label), int(s.modality)]
                             for s in data_batch['data_samples']])
        model = bare_model(runner)
        if self.virtual_ranks > 1:
            own = self.sets[runner.iter % self.virtual_ranks]
            for name, buffer in batchnorm_buffers(model).items():
                own[name].copy_(buffer)
        if not runner.optim_wrapper.should_update():
            return
        self.steps += 1
        os.makedirs(self.out_dir, exist_ok=True)
        state = model.state_dict()
        if self.virtual_ranks == 1:
            write_state(state, osp.join(self.out_dir, f'step{self.steps}_rank{get_rank()}.json'))
            return
        for rank, buffers in enumerate(self.sets):
            write_state({**state, **buffers},
                        osp.join(self.out_dir, f'step{self.steps}_rank{rank}.json'))

    def after_train_epoch(self, runner):
        """Write the batches; average the virtual ranks' statistics into the model, as
        SyncBuffersHook does."""
        os.makedirs(self.out_dir, exist_ok=True)
        with open(osp.join(self.out_dir, f'batches_rank{get_rank()}.json'), 'w') as f:
            json.dump(self.batches, f)
        if self.virtual_ranks == 1:
            return
        buffers = batchnorm_buffers(bare_model(runner))
        for name, buffer in buffers.items():
            stacked = torch.stack([s[name] for s in self.sets])
            # all_reduce(SUM) then division, as mmengine.dist.all_reduce(op='mean')
            buffer.copy_(stacked.sum(0) / len(self.sets) if buffer.is_floating_point() else
                         stacked[0])
            for s in self.sets:
                s[name].copy_(buffer)
