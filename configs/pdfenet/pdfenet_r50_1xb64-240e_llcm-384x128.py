# PDFENet on LLCM with its SYSU-MM01 recipe (§4.2): 384x128, batch 64 = 8 ids x 4 images x 2
# modalities, Adam 2e-4, 240 epochs, random crop only. Pose heatmaps come from a cache written
# once by
#   python tools/misc/extract_heatmaps.py THIS_CONFIG --cache-dir data/llcm/pose_cache_hrnet-w32
# NOT A PAPER RECIPE: the paper does not evaluate on LLCM; there are no reference numbers.
_base_ = [
    '../_base_/models/pdfenet_r50.py', '../_base_/datasets/llcm_384x128.py',
    '../_base_/schedules/adam-240e.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=713))  # LLCM's 713 training identities

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
