# AGW on the generated SYSU-layout data set: a ResNet-18 trained from scratch on the CPU (no
# download), non-local blocks after the last block of layer2 and layer3 (ResNet-18 has 2 blocks
# per stage), Adam as the other synthetic configs (the recipe's SGD is for ImageNet weights).
_base_ = [
    '../_base_/models/agw_r50.py', '../_base_/datasets/synthetic_sysu_mm01_96x48.py',
    '../_base_/schedules/adam_warmup-cosine-10e_from-scratch.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=18, non_local=((2, (1, )), (3, (1, ))), init_cfg=None),
    head=dict(num_classes=80, in_channels=512))  # the default set's 64 train + 16 val ids

default_hooks = dict(logger=dict(interval=10))
