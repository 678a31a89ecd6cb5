from .admg import ADMG
from .global_pooling import GlobalPoolingNeck
from .lie import LIE
from .mpff import MPFF, MultiGranularityFeatures
from .part_pooling import PartPoolingNeck

__all__ = [
    'GlobalPoolingNeck', 'LIE', 'MPFF', 'MultiGranularityFeatures', 'PartPoolingNeck', 'ADMG'
]
