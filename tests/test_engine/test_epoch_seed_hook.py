"""EpochSeedHook: the main process's generators at an epoch's first iteration follow
(seed, epoch, rank), whatever the data loader drew from them before."""
import random
from types import SimpleNamespace

import numpy as np
import torch

from vireid_toolbox.engine.hooks import EpochSeedHook


def draws():
    return random.random(), float(np.random.rand()), torch.rand(3)


def first_iteration_draws(hook, runner, loader_draws):
    """Draws a model would make in the first iteration, after the loader took ``loader_draws``
    numbers from torch's generator (persistent workers: in the first epoch of a process only)."""
    hook.before_train_epoch(runner)
    torch.rand(loader_draws)
    hook.before_train_iter(runner, batch_idx=0)
    return draws()


def test_first_iteration_draws_depend_on_seed_and_epoch_only():
    hook = EpochSeedHook()
    runner = SimpleNamespace(seed=7, epoch=2)
    uninterrupted = first_iteration_draws(hook, runner, loader_draws=0)
    resumed = first_iteration_draws(hook, runner, loader_draws=1)
    assert uninterrupted[:2] == resumed[:2]
    assert torch.equal(uninterrupted[2], resumed[2])

    hook.before_train_iter(runner, batch_idx=1)  # no re-seeding inside the epoch
    assert not torch.equal(draws()[2], uninterrupted[2])
    runner.epoch = 3
    assert not torch.equal(first_iteration_draws(hook, runner, 0)[2], uninterrupted[2])
    unseeded = SimpleNamespace(seed=None, epoch=2)
    assert first_iteration_draws(hook, unseeded, 0)[1] != uninterrupted[1]
