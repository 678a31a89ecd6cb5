# PDFENet (Cui et al. 2023) with SPEC's resolutions; see configs/pdfenet/README.md.
#
# Backbone: the paper's single ResNet-50 main branch with a modality-specific stem (stage0) and
# shared stages 1-4, the usual VI-ReID two-stream split (AGW); last_stride=1, so 384x128 -> 24x8.
# Pose: the frozen HRNet-w32 (MPII) that mmpose ships stands in for the paper's GCM. The full
# configs read its maps from a pose cache (tools/misc/extract_heatmaps.py writes it from
# `pose_model`); `model.pose = pose_model` computes them online instead.
pose_model = dict(
    type='MMPoseHeatmaps',
    config='mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
    'td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py',
    checkpoint='https://download.openmmlab.com/mmpose/top_down/hrnet/'
    'hrnet_w32_mpii_256x256-6c4f923f_20200812.pth',
    input_size=[96, 256])
# what LoadCachedHeatmaps compares with the cache's sidecar (a cache from another model is refused)
pose_model_signature = dict(
    config=pose_model['config'],
    checkpoint='hrnet_w32_mpii_256x256-6c4f923f_20200812.pth',
    input_size=pose_model['input_size'])

model = dict(
    type='VIReIDModel',
    backbone=dict(
        type='DualStreamResNet',
        depth=50,
        specific_stages=(0, ),
        shared_stages=(1, 2, 3, 4),
        last_stride=1,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    pose=dict(type='CachedHeatmaps'),
    neck=dict(
        type='ADMG',
        in_channels=2048,
        num_joints=16,
        top_joints=[7, 8, 9, 13, 12],
        mid_joints=[3, 14, 11, 15],
        top='adaptive',
        mid='adaptive',
        low='part'),
    head=dict(
        type='PDFENetHead',
        in_channels=2048,
        num_classes=395,
        num_details=3,
        idi=dict(type='IDI', reduction=4),
        loss_cmce=dict(type='CMCELoss', scale=16.0, momentum=0.7, lambda_soft=2.5, lambda_id=0.5),
        feature_losses=dict(center=dict(type='CenterLoss', margin=0.5, normalize=True))))

# CMCE's momentum classifiers follow the trained ones after every optimizer step (eq. 13-14)
custom_hooks = [dict(type='MomentumUpdateHook')]
