# ADMPFF-Net on the generated SYSU-layout data set: a CPU smoke run of the full method.
# Same architecture and losses with a ResNet-18 trained from scratch (no download); 96x48
# inputs give 6x3 maps: pIS 1:2:3 = 1/2/3 rows, 6 strips of 1 row, LIE = the bottom row.
# From scratch: the synthetic Adam schedule with its cosine decay (SGD collapsed HcTri's hetero-center triplet features,
# which ADMPFF-Net shares), 4 epochs.
_base_ = [
    '../_base_/models/admpff-net_r50.py', '../_base_/datasets/synthetic_sysu_mm01_96x48.py',
    '../_base_/schedules/adam_warmup-cosine-10e_from-scratch.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=18, init_cfg=None),
    neck=dict(in_channels=512),
    head=dict(num_classes=80))  # the default set's 64 train + 16 val ids

train_cfg = dict(max_epochs=4, val_interval=2)
# the synthetic warm-up + cosine schedule, its decay ending with the 4th epoch
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=3, eta_min=1e-5, by_epoch=True, begin=1, end=4,
         convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=5))
