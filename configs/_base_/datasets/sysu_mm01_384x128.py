# SYSU-MM01 at 384x128 (PDFENet). `pose_cache` is where tools/misc/extract_heatmaps.py writes
# the pose heatmaps; the pipelines here read none (as the pose-free baselines and the online pose
# model, model.pose = MMPoseHeatmaps, need). A config reading the cache adds, after LoadReIDImage,
#   dict(type='LoadCachedHeatmaps', cache_dir=pose_cache, expected_pose_model=...)
# naming its pose model so that a cache made by another model is refused; the heatmaps then follow
# every geometric transform.
dataset_type = 'SYSUMM01Dataset'
data_root = 'data/sysu_mm01'
pose_cache = data_root + '/pose_cache_hrnet-w32'
image_scale = (128, 384)  # (width, height)

# §4.2 names a random crop to 384x128 and no other augmentation: zero-pad 10 + random crop
# back to 384x128 (the community code's padding; the paper does not say from what size), no
# flip (docs/en/advanced_guides/deviations.md)
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
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline))
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
