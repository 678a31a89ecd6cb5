# RegDB at 384x144 (DEEN input size): the 288x144 base with the same augmentation at the
# taller scale.
_base_ = './regdb_288x144.py'

image_scale = (144, 384)  # (width, height)
train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=image_scale),
    dict(type='ReIDPadCrop', padding=10),
    dict(type='ReIDRandomFlip', prob=0.5),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=image_scale),
    dict(type='PackReIDInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
