from .admg_drawing import MPII_JOINT_NAMES, draw_admg, overlay_mask
from .vis_backends import TensorboardIfInstalledVisBackend

__all__ = ['TensorboardIfInstalledVisBackend', 'MPII_JOINT_NAMES', 'draw_admg', 'overlay_mask']
