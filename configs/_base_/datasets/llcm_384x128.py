# LLCM (see llcm_288x144.py) at 384x128 (PDFENet); `pose_cache` and the pipelines (no heatmaps)
# as in sysu_mm01_384x128.py; PDFENet's augmentation (§4.2): a random crop to 384x128 (zero-pad
# 10 + crop) and no flip.
_base_ = './llcm_288x144.py'

pose_cache = 'data/llcm/pose_cache_hrnet-w32'
image_scale = (128, 384)  # (width, height)

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

# PDFENet's batch: 8 ids x 4 images x 2 modalities = 64 (§4.2)
train_dataloader = dict(
    batch_size=64, sampler=dict(batch_size=64, num_ids=8, num_instances=4),
    dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
