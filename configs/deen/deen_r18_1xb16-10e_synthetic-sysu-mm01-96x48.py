# DEEN on the generated SYSU-layout data set: a ResNet-18 trained from scratch on the CPU (no
# download) with the synthetic configs' Adam schedule; 96x48 inputs give 6x3 maps after layer4.
# The code's model otherwise (MFA after layer1-3, DEE before layer4, its four losses, flip test).
_base_ = [
    '../_base_/models/deen_r50.py', '../_base_/datasets/synthetic_sysu_mm01_96x48.py',
    '../_base_/schedules/adam_warmup-cosine-10e_from-scratch.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=18, init_cfg=None),
    head=dict(in_channels=512, num_classes=80))  # the default set's 64 train + 16 val ids

default_hooks = dict(logger=dict(interval=10))
