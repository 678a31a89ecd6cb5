# ADMPFF-Net on the generated SYSU-layout data set: a CPU smoke run of the full method.
# Same architecture and losses with a ResNet-18 trained from scratch (no download); 96x48
# inputs give 6x3 maps: pIS 1:2:3 = 1/2/3 rows, 6 strips of 1 row, LIE = the bottom row.
# From scratch: Adam at 1e-3 after one warm-up epoch, as the synthetic HcTri run (from scratch
# SGD collapsed HcTri's hetero-center triplet features, which ADMPFF-Net shares).
_base_ = [
    '../_base_/models/admpff-net_r50.py', '../_base_/datasets/synthetic_sysu_mm01_96x48.py',
    '../_base_/schedules/adam-240e.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=18, init_cfg=None),
    neck=dict(in_channels=512),
    head=dict(num_classes=80))  # the default set's 64 train + 16 val ids

train_dataloader = dict(batch_size=16, sampler=dict(batch_size=16, num_ids=4, num_instances=2))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=4, val_interval=2)
default_hooks = dict(logger=dict(interval=5))
