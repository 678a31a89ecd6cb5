# HcTri on the generated SYSU-layout data set (the baseline of `make demo`): a ResNet-18 trained
# from scratch on the CPU (no download); 96x48 inputs give 6x3 maps, 6 stripes of 1 row. From
# scratch the recipe's SGD collapses the features (every hetero-center triplet term stuck at the
# margin: measured with lr 0.05 on 24 ids and lr 0.01 on 80 ids), hence the Adam schedule.
_base_ = [
    '../_base_/models/hctri_r50.py', '../_base_/datasets/synthetic_sysu_mm01_96x48.py',
    '../_base_/schedules/adam_warmup-cosine-10e_from-scratch.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=18, init_cfg=None),
    neck=dict(in_channels=512),
    head=dict(num_classes=80))  # the default set's 64 train + 16 val ids

default_hooks = dict(logger=dict(interval=10))
