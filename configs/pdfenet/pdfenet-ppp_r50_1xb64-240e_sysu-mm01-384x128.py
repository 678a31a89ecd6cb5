# PDFENet Table 5 "PPP": part pooling for the top, middle and lower thirds (no pose), with IDI
# and CMCE as in the full model.
_base_ = [
    '../_base_/models/pdfenet_r50.py', '../_base_/datasets/sysu_mm01_384x128.py',
    '../_base_/schedules/adam-240e.py', '../_base_/default_runtime.py'
]

model = dict(
    pose=None,
    neck=dict(_delete_=True, type='ADMG', in_channels=2048, top='part', mid='part', low='part'),
    head=dict(loss_id=None))
