# PDFENet on SYSU-MM01 with the pose model run online on every batch (model.pose =
# MMPoseHeatmaps, the frozen HRNet-w32 of `pose_model`) instead of a pose cache: maps of the
# augmented image itself (the cache carries the un-augmented image's maps through the crop; see
# docs/en/user_guides/data_preparation.md, "Pose cache"), no extraction step, a costlier step
# (1.37x the cached one measured on CPU, see README "Cost").
_base_ = './pdfenet_r50_1xb64-240e_sysu-mm01-384x128.py'

model = dict(pose={{_base_.pose_model}})

# the data set base's pipelines (sysu_mm01_384x128.py), without the full config's
# LoadCachedHeatmaps: no pose cache needed
train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale={{_base_.image_scale}}),
    dict(type='ReIDPadCrop', padding=10),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale={{_base_.image_scale}}),
    dict(type='PackReIDInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
