# PDFENet Table 5 "APP": ADMG for the top only, part pooling for the middle and lower thirds.
_base_ = './pdfenet_r50_1xb64-240e_regdb-384x128.py'

model = dict(neck=dict(mid='part'))
