# PDFENet Table 6 "B + HCT": the baseline plus the hetero-center triplet loss (margin 0.3)
# on the final feature.
_base_ = './pdfenet-baseline_r50_1xb64-240e_sysu-mm01-384x128.py'

model = dict(
    head=dict(feature_losses=dict(hct=dict(type='HeteroCenterTripletLoss', margin=0.3))))
