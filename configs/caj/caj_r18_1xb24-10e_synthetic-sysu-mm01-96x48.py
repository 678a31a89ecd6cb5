# CAJ on the generated SYSU-layout data set: the AGW synthetic model (ResNet-18 from scratch,
# Adam) with CAJ's loss, channel augmentation and second visible views: 4 ids x (2 visible + 2
# channel-exchanged + 2 infrared) = 24 images per batch.
_base_ = [
    '../_base_/models/caj_r50.py', '../_base_/datasets/synthetic_sysu_mm01_96x48.py',
    '../_base_/schedules/adam_warmup-cosine-10e_from-scratch.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=18, non_local=((2, (1, )), (3, (1, ))), init_cfg=None),
    head=dict(
        num_classes=80,  # the default set's 64 train + 16 val ids
        in_channels=512))

caj_geometric = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale={{_base_.image_scale}}),
    dict(type='ReIDPadCrop', padding=4),
    dict(type='ReIDRandomFlip', prob=0.5),
    dict(type='ChannelRandomErasing', prob=0.5),
]
train_pipeline = caj_geometric + [
    dict(type='ApplyToModality', modality=1,
         transforms=[dict(type='ChannelExchange', gray=3, gray_prob=0.5)]),
    dict(type='PackReIDInputs'),
]
visible_view_pipeline = caj_geometric + [
    dict(type='ChannelExchange', gray=2),
    dict(type='PackReIDInputs'),
]
train_dataloader = dict(
    batch_size=24,
    sampler=dict(batch_size=24, num_ids=4, num_instances=2, visible_views=2),
    dataset=dict(
        _delete_=True,
        type='VisibleViewsDataset',
        dataset=dict(type={{_base_.dataset_type}}, data_root={{_base_.data_root}}, split='train',
                     pipeline=train_pipeline),
        view_pipeline=visible_view_pipeline))

default_hooks = dict(logger=dict(interval=10))
