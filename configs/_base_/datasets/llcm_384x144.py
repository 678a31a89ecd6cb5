# LLCM at 384x144 (DEEN input size): the 288x144 base with the same augmentation at the taller
# scale; P ids x K images per modality: 8 x 4 unless a method config sets its own.
_base_ = './llcm_288x144.py'

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
train_dataloader = dict(
    batch_size=64, sampler=dict(batch_size=64, num_ids=8, num_instances=4),
    dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
