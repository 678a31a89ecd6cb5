# PDFENet's baseline on RegDB, trial 1 (Table 4 row 1): the backbone's pooled map with an
# identity loss (plain cross-entropy) and the centre loss; no pose, no ADMG, IDI or CMCE.
_base_ = [
    '../_base_/models/pdfenet_r50.py', '../_base_/datasets/regdb_384x128.py',
    '../_base_/schedules/adam-240e.py', '../_base_/default_runtime.py'
]

model = dict(
    pose=None,
    neck=None,
    head=dict(
        num_classes=206, num_details=0, idi=None, loss_cmce=None,
        loss_id=dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.0)))
custom_hooks = []  # no momentum classifier to update

# the data set's pipelines without LoadCachedHeatmaps: no pose cache needed
train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=(128, 384)),
    dict(type='ReIDPadCrop', padding=10),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=(128, 384)),
    dict(type='PackReIDInputs'),
]
train_dataloader = dict(
    batch_size=64, sampler=dict(num_ids=8, num_instances=4), dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
