"""Random augmentation as a function of ``(seed, epoch, draw position)``, not of the process.

The transforms draw from the global generators of ``random``, numpy and torch,
as mmcv's transforms do. Left alone, those generators live in the data-loader
worker that happens to run a sample, so an augmentation depends on the number
of workers, on which worker draws the sample and on how long the worker has
lived (persistent workers carry their state across epochs, a resumed run
starts them afresh).

Instead the training sampler hands out :class:`SeededIndex` values: the data
set index plus a seed derived by :func:`draw_seed` from the run's seed, the
epoch and the position of the draw in the epoch's global sequence (the same
for every number of processes). A data set with :class:`SeededAugmentationMixin`
runs its pipeline with the global generators seeded from that seed. See
``docs/en/advanced_guides/reproducibility.md``.
"""
import random
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch
from torch.utils.data import get_worker_info


def draw_seed(seed: int, epoch: int, position: int) -> int:
    """The 32-bit seed of the augmentation of draw ``position`` of ``epoch``, run seed ``seed``."""
    return int(np.random.SeedSequence([seed, epoch, position]).generate_state(1)[0])


class SeededIndex(int):
    """A data set index that carries the seed of its augmentation.

    It is an ``int`` to every consumer that ignores the seed; data sets with
    :class:`SeededAugmentationMixin` use it. Arithmetic on it gives a plain
    ``int`` (the seed is dropped).
    """

    def __new__(cls, index: int, seed: int):
        value = super().__new__(cls, index)
        value.seed = seed
        return value

    def __reduce__(self):
        """Pickled with its seed (indices travel to the data-loader workers)."""
        return SeededIndex, (int(self), self.seed)

    def __repr__(self) -> str:
        return f'SeededIndex({int(self)}, seed={self.seed})'


@contextmanager
def seeded_generators(seed: int) -> Iterator[None]:
    """Seed ``random``, numpy's and torch's CPU global generators for the block.

    In the main process (``num_workers=0``) their previous state is put back
    afterwards, so that the main process's streams (which drive model-side
    randomness) do not depend on the data. A data-loader worker's generators
    serve the pipeline only and are left as the block leaves them (saving and
    restoring numpy's state costs over ten times the seeding). CUDA generators are
    never touched.
    """
    if get_worker_info() is not None:
        _seed_cpu_generators(seed)
        yield
        return
    python_state, numpy_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        _seed_cpu_generators(seed)
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)


def _seed_cpu_generators(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)


class SeededAugmentationMixin:
    """For ``BaseDataset`` subclasses: a :class:`SeededIndex` index fixes the augmentation.

    ``dataset[SeededIndex(i, s)]`` runs the pipeline of sample ``i`` (and any
    re-fetch ``BaseDataset`` makes when the pipeline returns None) with the
    global generators seeded from ``s``; a plain ``int`` index behaves as
    ``BaseDataset``'s.
    """

    def __getitem__(self, idx: int) -> dict:
        seed = getattr(idx, 'seed', None)
        if seed is None:
            return super().__getitem__(idx)
        with seeded_generators(seed):
            return super().__getitem__(int(idx))
