# PDFENet Table 5 "PPP": part pooling for the top, middle and lower thirds (no pose), with IDI
# and CMCE as in the full model.
_base_ = './pdfenet-baseline_r50_1xb64-240e_regdb-384x128.py'

model = dict(
    neck=dict(
        _delete_=True, type='ADMG', in_channels=2048, top='part', mid='part', low='part'),
    head=dict(
        num_details=3,
        idi=dict(_delete_=True, type='IDI', reduction=4),
        loss_id=None,
        loss_cmce=dict(
            _delete_=True,  # the baseline has none
            type='CMCELoss',
            scale=16.0,
            momentum=0.7,
            lambda_soft=2.5,
            lambda_id=0.5)))
custom_hooks = [dict(type='MomentumUpdateHook')]
