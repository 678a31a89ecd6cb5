# The generated synthetic set in the SYSU-MM01 layout (tools/misc/make_synthetic_dataset.py
# --out data/synthetic_sysu_mm01), for CPU demos and smoke runs: 128x64 images resized to 96x48
# (6x3 feature maps with last_stride=1), with the ground-truth pose cache the generator writes
# (heatmaps follow every geometric transform; methods without a pose source ignore them).
# Training greys visible images with CAJ's channel exchange (a no-op on the 3 equal channels of
# infrared images): backbones trained from scratch cannot lean on colour across modalities.
dataset_type = 'SYSUMM01Dataset'
data_root = 'data/synthetic_sysu_mm01'
pose_cache = data_root + '/pose_cache'
expected_pose_model = dict(name='synthetic-ground-truth')
image_scale = (48, 96)  # (width, height)

train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='LoadCachedHeatmaps', cache_dir=pose_cache, expected_pose_model=expected_pose_model),
    dict(type='ReIDResize', scale=image_scale),
    dict(type='ReIDPadCrop', padding=4),  # SPEC's 10 pixels at 288 rows, scaled to 96
    dict(type='ReIDRandomFlip', prob=0.5),
    dict(type='ChannelExchange', gray=3, gray_prob=0.5),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='LoadCachedHeatmaps', cache_dir=pose_cache, expected_pose_model=expected_pose_model),
    dict(type='ReIDResize', scale=image_scale),
    dict(type='PackReIDInputs'),
]

# 4 ids x 2 images x 2 modalities = 16 images per batch and process (small, for 2 CPU cores)
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    collate_fn=dict(type='vireid_toolbox.reid_collate'),
    sampler=dict(type='CrossModalityIdentitySampler', batch_size=16, num_ids=4, num_instances=2),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    collate_fn=dict(type='vireid_toolbox.reid_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, split='test', test_mode=True,
        pipeline=test_pipeline))

test_evaluator = dict(type='SYSUMM01Metric', data_root=data_root)
