# HcTri on the generated SYSU-layout data set (the baseline of `make demo`): a ResNet-18 trained
# from scratch on the CPU (no download); 96x48 inputs give 6x3 maps, 6 stripes of 1 row. From
# scratch the recipe's SGD collapses the features (every hetero-center triplet term stuck at the
# margin: measured with lr 0.05 on 24 ids and lr 0.01 on 80 ids), so the synthetic runs train
# with Adam at 1e-3 like the PDFENet one, after one warm-up epoch, for 10 epochs.
_base_ = [
    '../_base_/models/hctri_r50.py', '../_base_/datasets/synthetic_sysu_mm01_96x48.py',
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
train_cfg = dict(max_epochs=10, val_interval=5)
default_hooks = dict(logger=dict(interval=10))
