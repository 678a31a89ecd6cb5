# RegDB, trial 1, at 384x128 (PDFENet); `pose_cache` and the pipelines (no heatmaps) as in
# sysu_mm01_384x128.py.
dataset_type = 'RegDBDataset'
data_root = 'data/regdb'
trial = 1
pose_cache = data_root + '/pose_cache_hrnet-w32'
image_scale = (128, 384)  # (width, height)

# PDFENet §4.2: a random crop to 384x128 (zero-pad 10 + crop) and no flip (sysu_mm01_384x128.py)
train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=image_scale),
    dict(type='ReIDPadCrop', padding=10),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=image_scale),
    dict(type='PackReIDInputs'),
]

# PDFENet's batch: 8 ids x 4 images x 2 modalities = 64 (§4.2), per process; the paper's batch
# on N processes: batch_size_is_global = True (default_runtime.py)
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
