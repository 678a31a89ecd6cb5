from .formatting import PackReIDInputs
from .loading import LoadCachedHeatmaps, LoadReIDImage
from .modality import ApplyToModality
from .processing import (ChannelExchange, ChannelRandomErasing, RandomGrayscale, ReIDPadCrop,
                         ReIDRandomErasing, ReIDRandomFlip, ReIDResize)

__all__ = [
    'LoadReIDImage', 'LoadCachedHeatmaps', 'ReIDResize', 'ReIDPadCrop', 'ReIDRandomFlip',
    'ReIDRandomErasing', 'ChannelExchange', 'ChannelRandomErasing', 'RandomGrayscale',
    'PackReIDInputs', 'ApplyToModality'
]
