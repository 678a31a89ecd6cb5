from .reid_data_sample import INFRARED, MODALITY_NAMES, VISIBLE, ReIDDataSample

__all__ = ['ReIDDataSample', 'VISIBLE', 'INFRARED', 'MODALITY_NAMES']
