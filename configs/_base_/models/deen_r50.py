# DEEN (Zhang & Wang, CVPR 2023), as the authors' code (ZYK100/LLCM, DEEN/) builds it.
#
# Two-stream ResNet-50: modality-specific stage0, shared layer1-4, last_stride=1. MFA fusion after
# layer1-3, DEE (two expansions, dropout 0.01) before layer4: three 2048-d embeddings per image.
# Head: average pooling, one BNNeck + bias-free classifier for all embeddings. Loss: ID + batch-hard
# triplet (margin 0.3) on all embeddings + 0.8 x CPM (margin 0.2) per expansion + 0.01 x the
# orthogonal loss. Test feature: per embedding, the L2-normalised pooled and BNNeck features
# (12288-d), image + mirror summed (the code's test-time flip).
model = dict(
    type='VIReIDModel',
    backbone=dict(
        type='DEENResNet',
        depth=50,
        last_stage=4,
        num_expansions=2,
        dee_dropout=0.01,
        last_stride=1,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    head=dict(
        type='DEENHead',
        in_channels=2048,
        num_classes=395,
        num_embeddings=3,
        id_loss=dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.0),
        triplet_loss=dict(type='BatchHardTripletLoss', margin=0.3),
        cpm_loss=dict(type='CenterGuidedPairMiningLoss', margin=0.2),
        cpm_weight=0.8,
        ort_weight=0.01),
    test_cfg=dict(flip=True))
