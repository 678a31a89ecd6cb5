# PDFENet Table 4 "+ADMG+CMCE": ADMG and CMCE without IDI.
_base_ = './pdfenet_r50_1xb64-240e_sysu-mm01-384x128.py'

model = dict(head=dict(idi=None))
