# The synthetic PDFENet run with the online pose source: a small mmpose MPII model
# (MobileNetV2 SimpleBaseline, randomly initialised, checkpoint=None) runs on every batch. A wiring
# and cost test of the online path, not a pose estimator; give a checkpoint for real maps.
_base_ = './pdfenet_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py'

model = dict(
    pose=dict(
        type='MMPoseHeatmaps',
        config='mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
        'td-hm_mobilenetv2_8xb64-210e_mpii-256x256.py',
        checkpoint=None,
        input_size=[96, 192]))

# the set's pipelines without LoadCachedHeatmaps
train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=(48, 96)),
    dict(type='ReIDPadCrop', padding=4),
    dict(type='ReIDRandomFlip', prob=0.5),
    dict(type='ChannelExchange', gray=3, gray_prob=0.5),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=(48, 96)),
    dict(type='PackReIDInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
train_cfg = dict(max_epochs=1, val_interval=1)
