# HcTri baseline (Liu et al., TMM 2021), as SPEC.md fixes it from the public reference code.
#
# Two-stream ResNet-50: modality-specific stage0-1, shared stage2-4 (the code's share_net=2),
# last_stride=1 (288x144 -> 18x9). Six equal stripes, GeM pooling (p=3 SYSU-MM01, 10 RegDB),
# per stripe 1x1 conv to 256 -> BN -> ReLU and its own classifier. Loss: ID loss per stripe +
# hetero-center triplet (margin 0.3) on the concatenated stripes + w_center x the per-stripe
# hetero-center triplets. Test feature: the 6 stripes concatenated (1536), L2-normalised.
model = dict(
    type='VIReIDModel',
    backbone=dict(
        type='DualStreamResNet',
        depth=50,
        specific_stages=(0, 1),
        shared_stages=(2, 3, 4),
        last_stride=1,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='PartPoolingNeck',
        in_channels=2048,
        out_channels=256,
        ratios=(1, 1, 1, 1, 1, 1),
        pooling='gem',
        gem_p=3.0),
    head=dict(
        type='HcTriHead',
        num_classes=395,
        in_channels=256,
        num_strips=6,
        id_loss=dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.0),
        triplet_loss=dict(type='HeteroCenterTripletLoss', margin=0.3),
        strip_triplet_weight=1.0))
