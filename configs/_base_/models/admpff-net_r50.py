# ADMPFF-Net (Shi et al., CMC 2023), best configuration; see configs/admpff_net/README.md.
#
# Backbone (Table 4 row "1-2"): modality-specific stage0, shared (fusion) stage1-2, stage3-4
# duplicated into 3 independent branches (two mGFD granularity branches + LIE), last_stride=1,
# so 288x144 -> 18x9 maps.
# MPFF (Fig. 2, Table 2): branch A cut by pIS 1:2:3 (3/6/9 rows), branch B into 6 equal strips,
# each strip max-pool -> 1x1 conv 512 -> BN -> ReLU; "Global 3/6" = a branch's strips
# concatenated (SPEC). LIE: the bottom 1/6 of the height (3x9 of 18x9).
# Loss (eq. 8-10): L_MGJ = L_id_en + L_tri_en + alpha L_mGFD3 + beta L_mGFD6, ID loss with label
# smoothing 0.1 and hetero-center triplet (rho=0.3) on every strip, global and the LIE feature.
# Test feature (eq. 3): concat(local-3, local-6, enhanced) = 10 x 512, L2-normalised.
model = dict(
    type='VIReIDModel',
    backbone=dict(
        type='DualStreamResNet',
        depth=50,
        specific_stages=(0, ),
        shared_stages=(1, 2),
        duplicated_stages=(3, 4),
        num_branches=3,
        last_stride=1,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='MPFF',
        in_channels=2048,
        out_channels=512,
        branch_ratios=((1, 2, 3), (1, 1, 1, 1, 1, 1)),
        pooling='max',
        enhance=dict(type='LIE', region=(5 / 6, 1.0), pooling='max')),
    head=dict(
        type='ADMPFFHead',
        num_classes=395,
        in_channels=512,
        strips_per_branch=(3, 6),
        with_enhance=True,
        local_loss=True,
        global_loss=True,
        loss=dict(
            type='MultiGranularityJointLoss',
            alpha=1.0,
            beta=1.0,
            id_loss=dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.1),
            triplet_loss=dict(type='HeteroCenterTripletLoss', margin=0.3))))
