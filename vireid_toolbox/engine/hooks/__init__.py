from .channels_last_hook import ChannelsLastHook
from .epoch_seed_hook import EpochSeedHook
from .momentum_update_hook import MomentumUpdateHook
from .torch_compile_hook import TorchCompileHook

__all__ = ['ChannelsLastHook', 'EpochSeedHook', 'MomentumUpdateHook', 'TorchCompileHook']
