# DEEN on RegDB (trial 1) with the code's recipe (ZYK100/LLCM, DEEN/train.py --dataset regdb):
# the code's RegDB model drops MFA3 and layer4 (DEE before layer3, 1024-d embeddings); 206 ids.
_base_ = [
    '../_base_/models/deen_r50.py', '../_base_/datasets/regdb_384x144.py',
    '../_base_/schedules/sgd_warmup-151e.py', '../_base_/default_runtime.py'
]

model = dict(backbone=dict(last_stage=3), head=dict(in_channels=1024, num_classes=206))
# the code's augmentation: pad 10 + crop, grey with p 0.5, flip, random erasing (p 0.5, area in
# [0.02, 0.4], aspect >= 0.3) filled with the ImageNet mean in normalised units, i.e. the BGR
# pixels below
train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=(144, 384)),
    dict(type='ReIDPadCrop', padding=10),
    dict(type='RandomGrayscale', prob=0.5),
    dict(type='ReIDRandomFlip', prob=0.5),
    dict(type='ChannelRandomErasing', prob=0.5, area_ratio=(0.02, 0.4), min_aspect=0.3,
         fill=(126.82, 142.33, 152.0)),
    dict(type='PackReIDInputs'),
]
# 6 ids x 4 images per modality (the code's --batch-size 6 --num_pos 4)
train_dataloader = dict(
    batch_size=48,
    sampler=dict(batch_size=48, num_ids=6, num_instances=4),
    dataset=dict(pipeline=train_pipeline))

# the code trains everything but the BNNeck and the classifier at 0.1x the lr
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
