from .admpff_head import ADMPFFHead
from .bnneck_head import BNNeckHead
from .hctri_head import HcTriHead
from .idi import IDI
from .pdfenet_head import PDFENetHead

__all__ = ['ADMPFFHead', 'BNNeckHead', 'HcTriHead', 'IDI', 'PDFENetHead']
