from .epoch_seed_hook import EpochSeedHook
from .momentum_update_hook import MomentumUpdateHook

__all__ = ['EpochSeedHook', 'MomentumUpdateHook']
