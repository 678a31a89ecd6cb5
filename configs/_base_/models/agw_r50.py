# AGW baseline (Ye et al., TPAMI 2021), as the public code (mangye16/Cross-Modal-Re-ID-baseline)
# builds it.
#
# Two-stream ResNet-50: modality-specific stage0 (conv1, bn1, relu, maxpool), shared layer1-4,
# last_stride=1 (288x144 -> 18x9). Non-local blocks after blocks 2, 3 of layer2 and 3, 4, 5 of
# layer3 (the code's non_layers=[0, 2, 3, 0]). GeM pooling (p=3) of the whole map; BNNeck (BN1d
# without shift, bias-free classifier). Loss: cross-entropy on the BN feature's logits + weighted
# regularisation triplet on the pooled feature. Test feature: the BN feature, L2-normalised.
model = dict(
    type='VIReIDModel',
    backbone=dict(
        type='DualStreamResNet',
        depth=50,
        specific_stages=(0, ),
        shared_stages=(1, 2, 3, 4),
        last_stride=1,
        non_local=((2, (2, 3)), (3, (3, 4, 5))),
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(type='GlobalPoolingNeck', pooling='gem', gem_p=3.0),
    head=dict(
        type='BNNeckHead',
        num_classes=395,
        in_channels=2048,
        id_loss=dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.0),
        triplet_loss=dict(type='WeightedRegularizationTriplet', eps=1e-6)))
