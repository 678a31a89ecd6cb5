from .heatmap_shift import aligned_heatmaps, shift_heatmaps
from .reid_data_sample import INFRARED, MODALITY_NAMES, VISIBLE, ReIDDataSample

__all__ = [
    'ReIDDataSample', 'VISIBLE', 'INFRARED', 'MODALITY_NAMES', 'aligned_heatmaps',
    'shift_heatmaps'
]
