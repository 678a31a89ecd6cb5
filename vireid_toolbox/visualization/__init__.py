from .vis_backends import TensorboardIfInstalledVisBackend

__all__ = ['TensorboardIfInstalledVisBackend']
