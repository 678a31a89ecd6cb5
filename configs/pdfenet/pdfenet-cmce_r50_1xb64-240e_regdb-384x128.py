# PDFENet Table 4 "+CMCE" (and Table 6 "B + CMCE"): the baseline with CMCE instead of the
# identity loss.
_base_ = './pdfenet-baseline_r50_1xb64-240e_regdb-384x128.py'

model = dict(
    head=dict(
        loss_id=None,
        loss_cmce=dict(
            _delete_=True,  # the baseline has none
            type='CMCELoss',
            scale=16.0,
            momentum=0.7,
            lambda_soft=2.5,
            lambda_id=0.5)))
custom_hooks = [dict(type='MomentumUpdateHook')]
