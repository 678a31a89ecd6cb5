# PDFENet Table 6 "B + WRT": the baseline plus the weighted regularisation triplet (AGW).
_base_ = './pdfenet-baseline_r50_1xb64-240e_sysu-mm01-384x128.py'

model = dict(head=dict(feature_losses=dict(wrt=dict(type='WeightedRegularizationTriplet'))))
