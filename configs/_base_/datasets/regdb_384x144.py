# RegDB at 384x144 with DEEN's data recipe (ZYK100/LLCM, DEEN/train.py --dataset regdb):
# the 288x144 base's data set and test pipeline at DEEN's input size.
_base_ = './regdb_288x144.py'

image_scale = (144, 384)  # (width, height)
# the code's augmentation: pad 10 + crop, grey with p 0.5, flip, random erasing (p 0.5, area in
# [0.02, 0.4], aspect >= 0.3) filled with the ImageNet mean in normalised units, i.e. the BGR
# pixels below
train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=image_scale),
    dict(type='ReIDPadCrop', padding=10),
    dict(type='RandomGrayscale', prob=0.5),
    dict(type='ReIDRandomFlip', prob=0.5),
    dict(type='ChannelRandomErasing', prob=0.5, area_ratio=(0.02, 0.4), min_aspect=0.3,
         fill=(126.82, 142.33, 152.0)),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=image_scale),
    dict(type='PackReIDInputs'),
]
# 6 ids x 4 images per modality (the code's --batch-size 6 --num_pos 4)
train_dataloader = dict(
    batch_size=48, sampler=dict(batch_size=48, num_ids=6, num_instances=4),
    dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
