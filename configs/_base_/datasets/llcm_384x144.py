# LLCM (Zhang & Wang, CVPR 2023) read from its release layout at 384x144 (DEEN input size).
# Train: zero-pad 10 + random crop, horizontal flip. Test: resize. The metric reports
# visible->infrared and infrared->visible over 10 seeded gallery draws (DEEN protocol).
dataset_type = 'LLCMDataset'
data_root = 'data/llcm'
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

# P ids x K images per modality; a method config sets its own (batch_size = 2 * P * K)
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='vireid_toolbox.reid_collate'),
    sampler=dict(type='CrossModalityIdentitySampler', batch_size=64, num_ids=8, num_instances=4),
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

test_evaluator = dict(type='LLCMMetric', data_root=data_root)
