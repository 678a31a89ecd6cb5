# HcTri on the generated SYSU-layout data set (the baseline of `make demo`): a ResNet-18 trained
# from scratch on the CPU (no download); 96x48 inputs give 6x3 maps, 6 stripes of 1 row. From
# scratch the recipe's lr 0.1 collapses the features (every hetero-center triplet term stuck at
# the margin), and the 0.1 backbone multiplier is for pretrained weights: SGD at 0.01
# everywhere, one warm-up epoch, 12 epochs.
_base_ = [
    '../_base_/models/hctri_r50.py', '../_base_/datasets/synthetic_sysu_mm01_96x48.py',
    '../_base_/schedules/sgd_warmup-80e.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=18, init_cfg=None),
    neck=dict(in_channels=512),
    head=dict(num_classes=24))  # the default set's 16 train + 8 val ids

train_dataloader = dict(batch_size=16, sampler=dict(batch_size=16, num_ids=4, num_instances=2))
optim_wrapper = dict(optimizer=dict(lr=0.01, nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=12, val_interval=3)
default_hooks = dict(logger=dict(interval=5))
