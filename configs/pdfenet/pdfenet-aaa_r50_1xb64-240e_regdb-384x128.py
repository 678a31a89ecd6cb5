# PDFENet Table 5 "AAA": ADMG for all three positions (the lower group is our choice, see
# README).
_base_ = './pdfenet_r50_1xb64-240e_regdb-384x128.py'

model = dict(neck=dict(low='adaptive'))
