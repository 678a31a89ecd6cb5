from .cached_heatmaps import CachedHeatmaps
from .mmpose_heatmaps import MMPoseHeatmaps

__all__ = ['CachedHeatmaps', 'MMPoseHeatmaps']
