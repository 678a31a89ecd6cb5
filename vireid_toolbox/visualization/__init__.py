from .admg_drawing import MPII_JOINT_NAMES, draw_admg, overlay_mask
from .ranked_list import (MATCH_COLOR, MISMATCH_COLOR, RankedListStyle, draw_ranked_list,
                          stack_rows)
from .vis_backends import TensorboardIfInstalledVisBackend

__all__ = [
    'TensorboardIfInstalledVisBackend', 'MPII_JOINT_NAMES', 'draw_admg', 'overlay_mask',
    'RankedListStyle', 'draw_ranked_list', 'stack_rows', 'MATCH_COLOR', 'MISMATCH_COLOR'
]
