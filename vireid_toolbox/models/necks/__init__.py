from .admg import ADMG
from .lie import LIE
from .mpff import MPFF, MultiGranularityFeatures
from .part_pooling import PartPoolingNeck

__all__ = ['LIE', 'MPFF', 'MultiGranularityFeatures', 'PartPoolingNeck', 'ADMG']
