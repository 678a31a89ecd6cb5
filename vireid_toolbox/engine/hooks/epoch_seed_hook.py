"""Re-seed the random number generators at the start of every training epoch."""
import numpy as np
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.runner import set_random_seed

from vireid_toolbox.registry import HOOKS


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Seed ``random``, numpy and torch from ``(seed, epoch, rank)`` before each epoch.

    mmengine seeds the generators once, when the Runner starts. A run resumed
    after epoch ``e`` therefore draws different augmentations (and dropout
    masks) in epoch ``e + 1`` than the uninterrupted run did. Seeding every
    epoch from the run's seed, the epoch and the rank makes those draws a
    function of the epoch alone, so resuming reproduces the uninterrupted run
    (with data-loader workers that are re-created every epoch, i.e.
    ``persistent_workers=False``, or in-process loading).
    """

    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner) -> None:
        if runner.seed is None:
            return
        mixed = np.random.SeedSequence([runner.seed, runner.epoch, get_rank()]).generate_state(1)
        set_random_seed(int(mixed[0]))  # leaves the deterministic settings of the Runner as they are
