# PDFENet Table 4 "+CMCE" (and Table 6 "B + CMCE"): the baseline with CMCE instead of the
# identity loss, i.e. the full model without pose, ADMG and IDI.
_base_ = [
    '../_base_/models/pdfenet_r50.py', '../_base_/datasets/sysu_mm01_384x128.py',
    '../_base_/schedules/adam-240e.py', '../_base_/default_runtime.py'
]

model = dict(pose=None, neck=None, head=dict(num_details=0, idi=None, loss_id=None))
