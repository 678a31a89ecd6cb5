# PDFENet's baseline on SYSU-MM01 (Table 4 row 1): the backbone's pooled map with an
# identity loss (plain cross-entropy) and the centre loss; no pose, no ADMG, IDI or CMCE.
_base_ = [
    '../_base_/models/pdfenet_r50.py', '../_base_/datasets/sysu_mm01_384x128.py',
    '../_base_/schedules/adam-240e.py', '../_base_/default_runtime.py'
]

model = dict(
    pose=None,
    neck=None,
    head=dict(
        num_details=0, idi=None, loss_cmce=None,
        loss_id=dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.0)))
custom_hooks = []  # no momentum classifier to update
