# ADMPFF-Net on the generated SYSU-layout data set: a CPU smoke run of the full method.
# Same architecture and losses with a ResNet-18 trained from scratch (no download); 192x96
# inputs give 12x6 maps: pIS 1:2:3 = 2/4/6 rows, 6 strips of 2 rows, LIE = the bottom 2 rows.
_base_ = [
    '../_base_/models/admpff-net_r50.py', '../_base_/datasets/synthetic_sysu_mm01_192x96.py',
    '../_base_/schedules/sgd_warmup-80e.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=18, init_cfg=None),
    neck=dict(in_channels=512),
    head=dict(num_classes=24))  # the default set's 16 train + 8 val ids

train_dataloader = dict(batch_size=16, sampler=dict(batch_size=16, num_ids=4, num_instances=2))
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=5))
