"""Batches that leave a data-loader worker through reused shared memory.

A worker hands each tensor of a batch to the main process in shared memory.
torch's ``default_collate`` stacks every batch into a fresh segment, and
creating, faulting in and unmapping fresh shared pages costs far more than the
copy: collating a 64-image batch at 384x128 with 16 64x24 heatmaps per image
took ~190 µs of CPU per image into fresh segments, ~35 µs into reused ones.
Here each worker keeps a pool of at most ``POOL_SLOTS`` segments (about as much
shared memory as the batches in flight took before, kept until the worker exits);
the main process marks a segment free (a flag in a shared array) when the last
tensor using its memory dies, and the worker stacks the next batch into a free
one. A segment still in use, however the main process keeps the batch, is
never written: when none is free the batch goes to a fresh segment as before.
"""
import os
import weakref
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch.utils.data import default_collate

POOL_SLOTS = 40
"""Segments a worker keeps (four per batch: images, labels, heatmaps, heatmap shifts)."""


class _SegmentPool:
    """The shared-memory segments of one worker process and their in-use flags."""

    def __init__(self, slots: int = POOL_SLOTS):
        # flags[i] = 1 from the stacking until the main process drops the last tensor of slot i
        self.flags = torch.zeros(slots, dtype=torch.uint8).share_memory_()
        self.storages: List[Optional[torch.UntypedStorage]] = [None] * slots

    def stack(self, tensors: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, Optional[int]]:
        """``torch.stack(tensors)`` in a free segment: the stacked tensor and its slot.

        Without a free slot: ``default_collate``'s fresh segment and slot None.
        """
        first = tensors[0]
        nbytes = len(tensors) * first.numel() * first.element_size()
        slot = self._free_slot(nbytes)
        if slot is None:
            return default_collate(list(tensors)), None
        if self.storages[slot] is None or self.storages[slot].nbytes() < nbytes:
            self.storages[slot] = torch.UntypedStorage._new_shared(nbytes)
        out = torch.empty(0, dtype=first.dtype).set_(self.storages[slot], 0,
                                                     (len(tensors), *first.shape))
        torch.stack(list(tensors), out=out)
        self.flags[slot] = 1
        return out, slot

    def _free_slot(self, nbytes: int) -> Optional[int]:
        """The free slot whose segment holds ``nbytes`` most tightly (labels do not take an
        image segment), else an unused slot, else the free slot to reallocate; None if none."""
        free = self.flags.eq(0).nonzero().flatten().tolist()
        if not free:
            return None
        sizes = {slot: self.storages[slot].nbytes() if self.storages[slot] is not None else -1
                 for slot in free}
        fitting = [slot for slot in free if sizes[slot] >= nbytes]
        if fitting:
            return min(fitting, key=sizes.get)
        return min(free, key=sizes.get)  # unused (-1) first


_pools: Dict[int, _SegmentPool] = {}


def worker_pool() -> _SegmentPool:
    """The segment pool of this process (one per process: a forked worker makes its own)."""
    pid = os.getpid()
    if pid not in _pools:
        _pools.clear()  # a parent's pool is not this process's
        _pools[pid] = _SegmentPool()
    return _pools[pid]


def _release(flags: torch.Tensor, slot: int) -> None:
    flags[slot] = 0


class SharedBatch(dict):
    """A collated batch whose pooled segments return to the pool when the receiver drops them.

    Pickled, it sends each stacked data-sample field once and the samples
    without it; the receiver gets a plain dict whose samples hold views of the
    stacked tensors again, as in the sender. (Pickled one by one, the views cost
    ~25 µs of torch's tensor reduction per 64-image sample, ~4x the rest of it.)

    Args:
        batch (dict): The batch; ``batch['data_samples']`` a list of data elements.
        stacked (dict): Field name -> the stacked tensor whose rows the samples
            hold as that field.
        pooled (list): ``(tensor, slot)`` of every tensor in a pooled segment.
        flags (Tensor): The pool's shared in-use flags.
    """

    def __init__(self, batch: dict, stacked: Dict[str, torch.Tensor],
                 pooled: List[Tuple[torch.Tensor, int]], flags: torch.Tensor):
        super().__init__(batch)
        self.stacked = stacked
        self.pooled = pooled
        self.flags = flags

    def __reduce__(self):
        states, keys = [], {}
        for sample in self['data_samples']:
            state = dict(vars(sample))
            for field in self.stacked:
                view = getattr(sample, field)
                if state.get(keys.get(field)) is not view:  # the attribute holding the field
                    keys[field] = next(k for k, v in state.items() if v is view)
                del state[keys[field]]
            states.append((type(sample), state))
        return _rebuild, (dict(self, data_samples=None), states, keys, self.stacked, self.pooled,
                          self.flags)


def _rebuild(batch: dict, states: list, keys: Dict[str, str], stacked: Dict[str, torch.Tensor],
             pooled: List[Tuple[torch.Tensor, int]], flags: torch.Tensor) -> dict:
    """The batch in the receiving process; each pooled segment is freed with its last tensor."""
    samples = []
    for i, (cls, state) in enumerate(states):
        sample = cls.__new__(cls)
        sample.__dict__.update(state)  # what unpickling a data element does
        for field, key in keys.items():
            sample.__dict__[key] = stacked[field][i]
        samples.append(sample)
    batch['data_samples'] = samples
    for tensor, slot in pooled:
        # fires when the last tensor or view of the segment's memory dies in this process
        weakref.finalize(tensor.untyped_storage(), _release, flags, slot)
    return batch
