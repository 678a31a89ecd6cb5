from .admpff_head import ADMPFFHead
from .hctri_head import HcTriHead
from .idi import IDI
from .pdfenet_head import PDFENetHead

__all__ = ['ADMPFFHead', 'HcTriHead', 'IDI', 'PDFENetHead']
