# PDFENet Table 4 "+ADMG": ADMG details concatenated with the global feature (no IDI),
# identity + centre loss (no CMCE).
_base_ = './pdfenet_r50_1xb64-240e_sysu-mm01-384x128.py'

model = dict(
    head=dict(
        idi=None, loss_cmce=None,
        loss_id=dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.0)))
custom_hooks = []  # no momentum classifier to update
