# SYSU-MM01 read from its raw release layout at 384x144 (DEEN input size).
# Train: zero-pad 10 + random crop, horizontal flip (SPEC, ADMPFF-Net recipe). Test: resize.
# CAJ's channel augmentations are available and off; to use them, append to the train pipeline
# e.g. dict(type='ChannelRandomErasing', prob=0.5) and dict(type='ChannelExchange', gray=2).
dataset_type = 'SYSUMM01Dataset'
data_root = 'data/sysu_mm01'
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

# P ids x K images per modality: HcTri's 6 x 8 (SPEC). A method config that changes num_ids or
# num_instances sets batch_size = 2 * num_ids * num_instances here and in the sampler.
train_dataloader = dict(
    batch_size=96,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='vireid_toolbox.reid_collate'),
    sampler=dict(type='CrossModalityIdentitySampler', batch_size=96, num_ids=6, num_instances=8),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline))
# the test split holds every image of the test ids; the metric applies the query/gallery protocol
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='vireid_toolbox.reid_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, split='test', test_mode=True,
        pipeline=test_pipeline))

test_evaluator = dict(type='SYSUMM01Metric', data_root=data_root)
