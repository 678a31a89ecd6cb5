from .deen_resnet import DEENResNet
from .dual_stream_resnet import DualStreamResNet

__all__ = ['DEENResNet', 'DualStreamResNet']
