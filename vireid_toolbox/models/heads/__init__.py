from .admpff_head import ADMPFFHead
from .bnneck_head import BNNeckHead
from .deen_head import DEENHead
from .hctri_head import HcTriHead
from .idi import IDI
from .pdfenet_head import PDFENetHead

__all__ = ['ADMPFFHead', 'BNNeckHead', 'DEENHead', 'HcTriHead', 'IDI', 'PDFENetHead']
