# DEEN on LLCM with the code's recipe (ZYK100/LLCM, DEEN/train.py --dataset llcm): 713 ids.
# The code's augmentation and batch: ../_base_/datasets/llcm_384x144.py.
_base_ = [
    '../_base_/models/deen_r50.py', '../_base_/datasets/llcm_384x144.py',
    '../_base_/schedules/sgd_warmup-151e.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=713))
# the code trains everything but the BNNeck and the classifier at 0.1x the lr
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
