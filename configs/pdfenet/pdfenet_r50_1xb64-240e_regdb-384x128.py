# PDFENet on RegDB (§4.2): 384x128, batch 64 = 8 ids x 4 images x 2 modalities, Adam
# 2e-4, 240 epochs; trial 1 (other trials: --cfg-options with the data set's `trial`).
# Pose heatmaps come from a cache written once by
#   python tools/misc/extract_heatmaps.py THIS_CONFIG \
#       --cache-dir data/regdb/pose_cache_hrnet-w32
_base_ = [
    '../_base_/models/pdfenet_r50.py', '../_base_/datasets/regdb_384x128.py',
    '../_base_/schedules/adam-240e.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=206))

pose_cache_dir = {{_base_.pose_cache}}
load_heatmaps = dict(
    type='LoadCachedHeatmaps',
    cache_dir=pose_cache_dir,
    expected_pose_model={{_base_.pose_model_signature}})
# the data set's pipelines (PDFENet's augmentation, §4.2) reading the pose cache after the image;
# the crop moves the heatmaps with the image
train_pipeline = [
    dict(type='LoadReIDImage'), load_heatmaps,
    dict(type='ReIDResize', scale={{_base_.image_scale}}),
    dict(type='ReIDPadCrop', padding=10),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'), load_heatmaps,
    dict(type='ReIDResize', scale={{_base_.image_scale}}),
    dict(type='PackReIDInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
