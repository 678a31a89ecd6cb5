# RegDB, trial 1 of its 10 random splits, at 384x144 (DEEN input size).
# Another trial: set `trial` in both data sets (e.g. --cfg-options with the dataset keys).
# The metric reports visible->thermal and thermal->visible.
dataset_type = 'RegDBDataset'
data_root = 'data/regdb'
trial = 1
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

# HcTri's RegDB batch: 8 ids x 4 images per modality (SPEC)
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='vireid_toolbox.reid_collate'),
    sampler=dict(type='CrossModalityIdentitySampler', batch_size=64, num_ids=8, num_instances=4),
    dataset=dict(
        type=dataset_type, data_root=data_root, trial=trial, split='train',
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='vireid_toolbox.reid_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, trial=trial, split='test', test_mode=True,
        pipeline=test_pipeline))

test_evaluator = dict(type='RegDBMetric')
