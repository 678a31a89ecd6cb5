"""Re-seed the main process's random number generators at the start of every training epoch."""
import numpy as np
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.runner import set_random_seed

from vireid_toolbox.registry import HOOKS


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Seed ``random``, numpy and torch from ``(seed, epoch, rank)`` at each epoch's first iter.

    mmengine seeds the generators once, when the Runner starts, so without this
    hook model-side randomness (dropout masks, random layers) in epoch ``e + 1``
    of a run resumed after epoch ``e`` would differ from the uninterrupted run.
    The seeding happens before the first iteration rather than before the epoch:
    a data loader draws its workers' base seed from torch's generator when it
    (re)starts them, which persistent workers do in the first epoch of a process
    only, i.e. in different epochs of an uninterrupted and a resumed run.

    Data augmentation does not depend on these generators: it is seeded per draw
    by the training sampler (:mod:`vireid_toolbox.datasets.seeded_augmentation`).
    """

    priority = 'VERY_HIGH'

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if batch_idx != 0 or runner.seed is None:
            return
        mixed = np.random.SeedSequence([runner.seed, runner.epoch, get_rank()]).generate_state(1)
        set_random_seed(int(mixed[0]))  # leaves the deterministic settings of the Runner as they are
